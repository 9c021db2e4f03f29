/**
 * Text-to-speech for spoken replies. As in livekit agents, the base class owns what every provider needs
 * (validation, the length limit, caching, de-duplication, the time-out and resampling to the line's rate);
 * a provider implements `_synthesize` and honours its signal.
 */
import { AudioFormatError, durationMs, readWav, resample, runAudioTool } from './audio.js';

export class SynthesisError extends Error {
  readonly code = 'E_SYNTHESIS';
  constructor(
    message: string,
    /** The HTTP status a speech endpoint answered. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SynthesisError';
  }
}

export interface SynthesisOptions {
  /** BCP 47: 'zh-CN', 'en-US'... */
  locale: string;
  /** Of the returned PCM: 8000 for the phone line. */
  sampleRate: number;
  /** On abort the promise rejects with the signal's reason; the synthesis stops once no caller waits for it. */
  signal?: AbortSignal;
}

/** Lengths and times only: the text itself is a citizen's case and stays out of metrics. */
export interface SynthesisMetrics {
  provider: string;
  characters: number;
  audioMs: number;
  latencyMs: number;
  cached: boolean;
}

export interface SynthesizerOptions {
  /** Syntheses kept (LRU); prompts repeat (greeting, "are you still there?"). Default 64; 0 turns it off. */
  cacheEntries?: number;
  timeoutMs?: number;
  onMetrics?: (metrics: SynthesisMetrics) => void;
}

/** Spoken replies must be short: a caller cannot skim, and cannot interrupt a minute of speech politely. */
export const MAX_SPOKEN_CHARS = 600;

/**
 * Trimmed, and cut after the last sentence end that fits in MAX_SPOKEN_CHARS ('.' only before a space, not
 * in 3.5), else after the last clause mark or space, else at the limit.
 */
export function limitSpokenText(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length <= MAX_SPOKEN_CHARS) return trimmed;
  const head = trimmed.slice(0, MAX_SPOKEN_CHARS + 1);
  const lastBefore = (pattern: RegExp) =>
    [...head.matchAll(pattern)]
      .map((m) => m.index)
      .filter((i) => i < MAX_SPOKEN_CHARS)
      .at(-1);
  const sentence = lastBefore(/[。！？!?]|\.(?=\s)/g);
  const clause = lastBefore(/[，,；;、\s]/g);
  const cut = sentence !== undefined ? sentence + 1 : (clause ?? MAX_SPOKEN_CHARS);
  return trimmed.slice(0, cut).trim();
}

interface InFlight {
  promise: Promise<Int16Array>;
  controller: AbortController;
  waiters: number;
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it is aborted. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export abstract class Synthesizer {
  /** 'espeak-ng' | 'http' */
  abstract readonly id: string;
  private readonly cache = new Map<string, Int16Array>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly cacheEntries: number;
  private readonly timeoutMs: number;
  private readonly onMetrics?: (metrics: SynthesisMetrics) => void;

  constructor(options: SynthesizerOptions = {}) {
    this.cacheEntries = options.cacheEntries ?? 64;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.onMetrics = options.onMetrics;
  }

  /**
   * Int16 mono PCM at `options.sampleRate`; empty for empty text. Repeats come from the cache, and identical
   * requests in flight share one synthesis. Each caller gets its own copy, free to change.
   */
  async synthesize(text: string, options: SynthesisOptions): Promise<Int16Array> {
    const { locale, sampleRate, signal } = options;
    signal?.throwIfAborted();
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new SynthesisError(`invalid sample rate ${sampleRate}`);
    const spoken = limitSpokenText(text);
    if (!spoken) return new Int16Array(0);
    const key = `${locale}\n${sampleRate}\n${spoken}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      this.report(spoken, cached, sampleRate, 0, true);
      return cached.slice();
    }
    let job = this.inFlight.get(key);
    if (!job) {
      job = this.start(key, spoken, locale, sampleRate);
      this.inFlight.set(key, job);
    }
    job.waiters++;
    try {
      return (await untilAborted(job.promise, signal)).slice();
    } finally {
      job.waiters--;
      // The last caller gave up: stop the provider rather than finish audio nobody will play.
      if (job.waiters === 0 && this.inFlight.get(key) === job) job.controller.abort(signal?.reason);
    }
  }

  protected abstract _synthesize(
    text: string,
    locale: string,
    signal?: AbortSignal,
  ): Promise<{ pcm: Int16Array; sampleRate: number }>;

  private start(key: string, text: string, locale: string, sampleRate: number): InFlight {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new SynthesisError(`${this.id} did not answer within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    const started = performance.now();
    const promise = (async () => {
      try {
        // Raced with the signal too, so that a provider that ignores it cannot outlive the time-out.
        const result = await untilAborted(this._synthesize(text, locale, controller.signal), controller.signal);
        if (result.pcm.length === 0) throw new SynthesisError(`${this.id} returned no audio`);
        const pcm = resample(result.pcm, result.sampleRate, sampleRate);
        this.remember(key, pcm);
        this.report(text, pcm, sampleRate, performance.now() - started, false);
        return pcm;
      } catch (error) {
        // Say why the run stopped (time-out, caller gone), not how the provider noticed (a killed process).
        if (controller.signal.aborted) throw controller.signal.reason;
        if (error instanceof SynthesisError) throw error;
        throw new SynthesisError(`${this.id}: ${(error as Error).message}`, undefined, { cause: error });
      } finally {
        clearTimeout(timer);
        this.inFlight.delete(key);
      }
    })();
    // Every waiter may have gone (aborted): the rejection is theirs, not an unhandled one.
    promise.catch(() => {});
    return { promise, controller, waiters: 0 };
  }

  private remember(key: string, pcm: Int16Array): void {
    if (this.cacheEntries <= 0) return;
    this.cache.set(key, pcm);
    if (this.cache.size > this.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
  }

  private report(text: string, pcm: Int16Array, rate: number, latencyMs: number, cached: boolean): void {
    this.onMetrics?.({
      provider: this.id,
      characters: text.length,
      audioMs: durationMs(pcm.length, rate),
      latencyMs,
      cached,
    });
  }
}

/** Wraps a WAV decoding failure: the provider answered, but not with audio. */
function decodeAnswer(bytes: Uint8Array, what: string): { pcm: Int16Array; sampleRate: number } {
  try {
    return readWav(bytes);
  } catch (error) {
    if (error instanceof AudioFormatError)
      throw new SynthesisError(`${what}: ${error.message}`, undefined, { cause: error });
    throw error;
  }
}

/** Debian's espeak-ng 1.51 names Mandarin 'cmn' ('zh' is an MBROLA voice that needs mbrola installed). */
function espeakVoice(locale: string): string {
  const tag = locale.toLowerCase().replace('_', '-');
  if (/^(yue|zh-(hk|mo))\b/.test(tag)) return 'yue';
  if (/^(zh|cmn)\b/.test(tag)) return 'cmn';
  return tag.split('-')[0] || 'en';
}

export interface EspeakOptions extends SynthesizerOptions {
  /** Default 'espeak-ng' (on PATH; Debian package espeak-ng). */
  binary?: string;
  /** Words per minute; default 175 (espeak-ng's own). */
  speed?: number;
}

/** Offline, robotic, always there: the fallback voice, and the one tests run against. */
export class EspeakSynthesizer extends Synthesizer {
  readonly id = 'espeak-ng';
  private readonly binary: string;
  private readonly speed: number;

  constructor(options: EspeakOptions = {}) {
    super({ ...options, timeoutMs: options.timeoutMs ?? 10_000 });
    this.binary = options.binary ?? 'espeak-ng';
    this.speed = options.speed ?? 175;
  }

  protected async _synthesize(text: string, locale: string, signal?: AbortSignal) {
    // The text goes on stdin (--stdin), never as an argument: a reply starting with '-' is not an option.
    const args = ['-v', espeakVoice(locale), '-s', String(this.speed), '-b', '1', '--stdin', '--stdout'];
    let run;
    try {
      run = await runAudioTool(this.binary, args, Buffer.from(text, 'utf8'), { signal, maxOutputBytes: 64 << 20 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SynthesisError(`${this.binary} not found (Debian package espeak-ng)`, undefined, { cause: error });
      }
      throw error;
    }
    if (run.exitCode !== 0 || run.stopped) {
      throw new SynthesisError(`espeak-ng failed (exit ${run.exitCode ?? run.stopped}): ${run.stderr || 'no message'}`);
    }
    if (run.stdout.length === 0) throw new SynthesisError(`espeak-ng wrote no audio: ${run.stderr || 'no message'}`);
    return decodeAnswer(run.stdout, 'espeak-ng output');
  }
}

export interface HttpSynthesizerOptions extends SynthesizerOptions {
  /** OpenAI-compatible API root, e.g. https://api.openai.com/v1 */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Chooses the language too: OpenAI's speech API has no locale parameter. */
  voice: string;
}

/** An OpenAI-compatible speech endpoint: POST {baseUrl}/audio/speech answering WAV. */
export class HttpSynthesizer extends Synthesizer {
  readonly id = 'http';
  private readonly url: string;

  constructor(private readonly options: HttpSynthesizerOptions) {
    super(options);
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/audio/speech`;
  }

  protected async _synthesize(text: string, _locale: string, signal?: AbortSignal) {
    const { apiKey, model, voice } = this.options;
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify({ model, input: text, voice, response_format: 'wav' }),
      signal,
    });
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, 300);
      throw new SynthesisError(`speech endpoint answered ${response.status}: ${detail}`, response.status);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    return decodeAnswer(bytes, `speech endpoint answered ${response.headers.get('content-type') ?? 'no type'}`);
  }
}

/** True when the espeak-ng binary runs. */
export async function espeakAvailable(binary = 'espeak-ng'): Promise<boolean> {
  try {
    const run = await runAudioTool(binary, ['--version'], new Uint8Array(0), {
      timeoutMs: 5000,
      maxOutputBytes: 1 << 16,
    });
    return run.exitCode === 0 && !run.stopped;
  } catch {
    return false;
  }
}
