/**
 * A scripted `Transcriber` for broker-level and call-flow tests: no model, no process. Each call takes the
 * next script step (a text, an error to fail with, or a function of the audio), then `defaultText`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Transcriber, TranscriptionError, type TranscriberOptions } from './transcriber.js';

export type FakeTranscriptionStep = string | Error | ((pcm: Int16Array) => string);

export interface FakeTranscriberOptions extends TranscriberOptions {
  script?: FakeTranscriptionStep[];
  /** The text once the script is used up. Default ''. */
  defaultText?: string;
  /** Simulated recognition time per call, in ms. Default 0. */
  delayMs?: number;
}

export interface FakeTranscriptionCall {
  samples: number;
  language: string;
}

export class FakeTranscriber extends Transcriber {
  readonly id = 'fake';
  /** Every call that reached the recogniser, in order (too-short audio never does). */
  readonly calls: FakeTranscriptionCall[] = [];
  readonly #script: FakeTranscriptionStep[];
  readonly #defaultText: string;
  readonly #delayMs: number;

  constructor({ script = [], defaultText = '', delayMs = 0, ...options }: FakeTranscriberOptions = {}) {
    super(options);
    this.#script = [...script];
    this.#defaultText = defaultText;
    this.#delayMs = delayMs;
  }

  /** More script steps, after the ones still queued (a test scripts each call as it goes). */
  enqueue(...steps: FakeTranscriptionStep[]): void {
    this.#script.push(...steps);
  }

  protected async _transcribe(pcm: Int16Array, language: string, signal: AbortSignal): Promise<string> {
    this.calls.push({ samples: pcm.length, language });
    const step = this.#script.length ? this.#script.shift()! : this.#defaultText;
    if (this.#delayMs > 0) await sleep(this.#delayMs, undefined, { signal });
    if (step instanceof TranscriptionError) throw step;
    if (step instanceof Error) throw new TranscriptionError(`fake: ${step.message}`, { cause: step });
    return typeof step === 'function' ? step(pcm) : step;
  }
}
