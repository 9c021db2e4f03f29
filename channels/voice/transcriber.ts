/**
 * Speech recognition, one port: `Transcriber`. As in livekit agents' `STT.recognize()`, the base class owns
 * what every provider needs the same way (validation, the empty-audio shortcut, timing, aborts, the closed
 * state, error wrapping and cleaning whisper's non-speech tags); a provider implements `_transcribe()` and,
 * when it holds a process or a model, `_start()` and `_close()`. Callers put `elapsedMs` in their metrics.
 *
 * Errors: a failure rejects with `TranscriptionError` (code `E_TRANSCRIPTION`); an aborted call rejects with
 * its signal's reason (an `AbortError` unless the caller chose another), so callers can tell a hang-up from
 * a broken recogniser.
 */

/** Audio a transcriber takes: 16 kHz, mono, signed 16-bit samples. */
export const TRANSCRIBER_SAMPLE_RATE = 16_000;

/** Shorter audio resolves to an empty transcript without calling the model (a click, a breath). */
export const MIN_TRANSCRIBED_MS = 100;

const MIN_SAMPLES = (TRANSCRIBER_SAMPLE_RATE * MIN_TRANSCRIBED_MS) / 1000;
const LANGUAGE = /^([a-z]{2,3}|auto)$/;

export class TranscriptionError extends Error {
  readonly code = 'E_TRANSCRIPTION';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TranscriptionError';
  }
}

export interface Transcript {
  /** What was said, cleaned of non-speech tags; '' for silence or noise. */
  text: string;
  audioMs: number;
  /** Time spent in the recogniser (0 when the audio was too short to send). */
  elapsedMs: number;
}

export interface TranscribeOptions {
  /** A whisper language code (`zh`, `en`...) or `auto`; defaults to the transcriber's language. */
  language?: string;
  signal?: AbortSignal;
}

export interface TranscriberOptions {
  /** Default language of calls that do not name one. Default `zh`. */
  language?: string;
}

export abstract class Transcriber {
  abstract readonly id: string;
  protected readonly language: string;
  /** Aborted by `close()`: providers see it in the signal they get, so a closing transcriber stops its work. */
  readonly #closing = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed?: Promise<void>;

  constructor({ language = 'zh' }: TranscriberOptions = {}) {
    if (!LANGUAGE.test(language)) throw new TranscriptionError(`unknown language code: ${language}`);
    this.language = language;
  }

  /** pcm: 16 kHz mono Int16. Empty/too-short audio (< 100 ms) resolves to an empty transcript without calling the model. */
  async transcribe(pcm: Int16Array, options: TranscribeOptions = {}): Promise<Transcript> {
    this.#assertOpen();
    const { signal } = options;
    signal?.throwIfAborted();
    if (!(pcm instanceof Int16Array)) throw new TranscriptionError('audio must be 16 kHz mono Int16 PCM (Int16Array)');
    const language = options.language ?? this.language;
    if (!LANGUAGE.test(language)) throw new TranscriptionError(`unknown language code: ${language}`);
    const audioMs = (pcm.length * 1000) / TRANSCRIBER_SAMPLE_RATE;
    if (pcm.length < MIN_SAMPLES) return { text: '', audioMs, elapsedMs: 0 };

    const combined = signal ? AbortSignal.any([signal, this.#closing.signal]) : this.#closing.signal;
    const started = performance.now();
    const work = this._transcribe(pcm, language, combined);
    this.#inFlight.add(work);
    try {
      const raw = await abortable(work, combined);
      return { text: cleanTranscript(raw), audioMs, elapsedMs: performance.now() - started };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (this.#closing.signal.aborted) {
        throw new TranscriptionError(`${this.id}: the transcriber was closed during the call`, { cause: error });
      }
      if (error instanceof TranscriptionError) throw error;
      throw new TranscriptionError(`${this.id}: ${(error as Error).message}`, { cause: error });
    } finally {
      // Drop the settled work; close() waits for what a provider still runs after an abort.
      void work.then(
        () => this.#inFlight.delete(work),
        () => this.#inFlight.delete(work),
      );
    }
  }

  /** Loads the model / starts the worker ahead of the first call (optional). */
  async start(): Promise<void> {
    this.#assertOpen();
    try {
      await this._start(this.#closing.signal);
    } catch (error) {
      if (error instanceof TranscriptionError) throw error;
      throw new TranscriptionError(`${this.id}: failed to start: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Rejects calls in flight, waits for the provider to stop them and releases its resources. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(new TranscriptionError(`${this.id}: the transcriber is closed`));
      await Promise.allSettled([...this.#inFlight]);
      await this._close();
    })();
    return this.#closed;
  }

  /** Returns the raw recognised text. `signal` aborts on the caller's abort and on `close()`. */
  protected abstract _transcribe(pcm: Int16Array, language: string, signal: AbortSignal): Promise<string>;

  protected async _start(_signal: AbortSignal): Promise<void> {}

  protected async _close(): Promise<void> {}

  #assertOpen(): void {
    if (this.#closed) throw new TranscriptionError(`${this.id}: the transcriber is closed`);
  }
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts (even if the work ignores it). */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

// Whisper writes what it hears that is not speech as a short bracketed tag: [BLANK_AUDIO], [Music], (音乐),
// （笑）, 【掌声】, ♪. Real speech is never bracketed in its output, so any short bracketed run goes.
const NON_SPEECH_TAG = /\[[^\]\n]{0,40}\]|\([^)\n]{0,40}\)|（[^）\n]{0,40}）|【[^】\n]{0,40}】|[♪♫]+/g;
// Whisper separates segments with spaces and newlines, which mean nothing between two Chinese characters.
const CJK = '\\p{Script=Han}\\u3000-\\u303f\\uff00-\\uffef';
const SPACE_BETWEEN_CJK = new RegExp(`(?<=[${CJK}]) (?=[${CJK}])`, 'gu');

/** Strips non-speech tags and collapses whitespace (dropping it between Chinese characters); trims. */
export function cleanTranscript(raw: string): string {
  return raw.replace(NON_SPEECH_TAG, ' ').replace(/\s+/g, ' ').replace(SPACE_BETWEEN_CJK, '').trim();
}
