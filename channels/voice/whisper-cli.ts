/**
 * whisper.cpp's CLI, a process (and a model load) per utterance: the benchmark's baseline against the
 * server the gateway keeps running (./whisper.ts). Not used by the gateway.
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeWav } from './audio.js';
import { TRANSCRIBER_SAMPLE_RATE, Transcriber, TranscriptionError, type TranscriberOptions } from './transcriber.js';
import { defaultThreads, OUTPUT_TAIL_CHARS, padToWhisperMinimum, requireFiles, tempDir } from './whisper.js';

const execFileText = promisify(execFile);

export interface WhisperCliOptions extends TranscriberOptions {
  /** whisper.cpp's `main` binary. */
  cliBinary: string;
  model: string;
  threads?: number;
  timeoutMs?: number;
}

/** Process per utterance (the model loads every time): the benchmark's baseline, not for the gateway. */
export class WhisperCliTranscriber extends Transcriber {
  readonly id = 'whisper-cli';
  readonly #binary: string;
  readonly #model: string;
  readonly #threads: number;
  readonly #timeoutMs: number;

  constructor(options: WhisperCliOptions) {
    super(options);
    this.#binary = path.resolve(options.cliBinary);
    this.#model = path.resolve(options.model);
    this.#threads = options.threads ?? defaultThreads();
    this.#timeoutMs = options.timeoutMs ?? 120_000;
  }

  protected override async _start(): Promise<void> {
    await requireFiles(this.#binary, this.#model, 'the whisper CLI');
  }

  protected async _transcribe(pcm: Int16Array, language: string, signal: AbortSignal): Promise<string> {
    await requireFiles(this.#binary, this.#model, 'the whisper CLI');
    const dir = await tempDir('minsheng-whisper-cli-');
    try {
      const file = path.join(dir, 'utterance.wav');
      await writeFile(file, writeWav(padToWhisperMinimum(pcm), TRANSCRIBER_SAMPLE_RATE));
      const args = ['-m', this.#model, '-f', file, '-l', language, '-nt', '-t', String(this.#threads)];
      // The server decodes greedily, best of 2; the CLI defaults to a 5-wide beam search. Same decoding here,
      // so that the benchmark compares one loaded model with a process per utterance, nothing else.
      args.push('-bs', '1', '-bo', '2');
      const { stdout } = await execFileText(this.#binary, args, {
        cwd: dir,
        signal,
        timeout: this.#timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      });
      return stdout;
    } catch (error) {
      if (signal.aborted || error instanceof TranscriptionError) throw error;
      const { code, stderr = '' } = error as { code?: unknown; stderr?: string };
      throw new TranscriptionError(`${this.id}: exited with ${code}: ${stderr.trim().slice(-OUTPUT_TAIL_CHARS)}`, {
        cause: error,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
