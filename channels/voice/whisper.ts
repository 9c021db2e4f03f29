/**
 * whisper.cpp transcribers, run as child processes from binaries `scripts/build-whisper.ts` builds (never a
 * shell, never a change of our working directory).
 *
 * `WhisperServerTranscriber` (the gateway's): one long-lived whisper.cpp `server` keeps the model loaded
 * across utterances. It listens on a free loopback port and runs in a private temporary directory, because
 * it writes each upload to `whisper_server_temp_file.wav` in its working directory. Requests go one at a time
 * (the server serialises them behind one mutex anyway, so our time-out would otherwise count its queue). A
 * crashed server fails the call in flight; the next call starts a new one, after a growing pause so a crash
 * loop does not spin.
 *
 * `WhisperCliTranscriber`: the `main` CLI, one process and one model load per utterance; the benchmark's
 * baseline only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/logger.js';
import { writeWav } from './audio.js';
import {
  abortable,
  TRANSCRIBER_SAMPLE_RATE,
  Transcriber,
  TranscriptionError,
  type TranscriberOptions,
} from './transcriber.js';

/** The end of a process's output kept for error messages. */
export const OUTPUT_TAIL_CHARS = 4096;
const KILL_GRACE_MS = 2000;
const BIND_ATTEMPTS = 3;
const RESTART_BACKOFF_MS = { first: 250, max: 10_000 };
export const defaultThreads = () => Math.min(4, availableParallelism());

// whisper.cpp returns nothing for audio under 1 s (whisper_full: fewer than 100 mel frames, issue #39), and a
// caller's "对" or "是的" is shorter. It pads every input with silence to 30 s anyway, so padding to 1.1 s
// changes nothing else.
const WHISPER_MIN_SAMPLES = (TRANSCRIBER_SAMPLE_RATE * 1100) / 1000;

export function padToWhisperMinimum(pcm: Int16Array): Int16Array {
  if (pcm.length >= WHISPER_MIN_SAMPLES) return pcm;
  const padded = new Int16Array(WHISPER_MIN_SAMPLES);
  padded.set(pcm);
  return padded;
}

export interface WhisperServerOptions extends TranscriberOptions {
  /** whisper.cpp's `server` binary (see `builtWhisperBinaries` in ./whisper-build.ts). */
  serverBinary: string;
  /** A ggml model file. */
  model: string;
  /** Default min(4, CPUs). */
  threads?: number;
  /** Model load and first answer. Default 60 s. */
  startTimeoutMs?: number;
  /** One utterance; on time-out the server is assumed stuck and restarted. Default 60 s. */
  requestTimeoutMs?: number;
  logger?: Logger;
}

export class WhisperServerTranscriber extends Transcriber {
  readonly id = 'whisper-server';
  readonly #binary: string;
  readonly #model: string;
  readonly #threads: number;
  readonly #startTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #logger?: Logger;
  readonly #stopping = new AbortController();
  #server?: ServerProcess;
  #starting?: Promise<ServerProcess>;
  #queueTail: Promise<void> = Promise.resolve();
  #failures = 0;
  #nextStartAt = 0;

  constructor(options: WhisperServerOptions) {
    super(options);
    // The server runs in its own directory: relative paths must not be resolved there.
    this.#binary = path.resolve(options.serverBinary);
    this.#model = path.resolve(options.model);
    this.#threads = options.threads ?? defaultThreads();
    this.#startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#logger = options.logger?.child({ transcriber: this.id });
  }

  /** The running server's process id (undefined before start and after a crash); for tests and diagnostics. */
  get pid(): number | undefined {
    return this.#server?.alive ? this.#server.child.pid : undefined;
  }

  protected override async _start(signal: AbortSignal): Promise<void> {
    await abortable(this.#ensureServer(), signal);
  }

  protected async _transcribe(pcm: Int16Array, language: string, signal: AbortSignal): Promise<string> {
    if (language !== this.language) {
      throw new TranscriptionError(
        `${this.id}: the server was started for language '${this.language}'; use another transcriber for '${language}'`,
      );
    }
    const previous = this.#queueTail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    // Chained, so an aborted waiter does not let the next one overtake the call still running.
    this.#queueTail = previous.then(() => mine);
    try {
      await abortable(previous, signal);
      const server = await abortable(this.#ensureServer(), signal);
      return await this.#request(server, padToWhisperMinimum(pcm), signal);
    } finally {
      release();
    }
  }

  protected override async _close(): Promise<void> {
    this.#stopping.abort();
    await this.#starting?.catch(() => {});
    await this.#server?.stop();
  }

  #ensureServer(): Promise<ServerProcess> {
    if (this.#server?.alive) return Promise.resolve(this.#server);
    this.#starting ??= this.#launch().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  async #launch(): Promise<ServerProcess> {
    await requireFiles(this.#binary, this.#model, 'WHISPER_SERVER_BIN');
    const pause = this.#nextStartAt - Date.now();
    if (pause > 0) await sleep(pause, undefined, { signal: this.#stopping.signal });
    for (let attempt = 1; ; attempt++) {
      this.#stopping.signal.throwIfAborted();
      const started = performance.now();
      const port = await freePort();
      const args = ['-m', this.#model, '--host', '127.0.0.1', '--port', String(port)];
      args.push('-l', this.language, '-t', String(this.#threads), '-nt');
      const server = new ServerProcess(this.#binary, args, port, this.#logger, await tempDir('minsheng-whisper-'));
      try {
        await server.ready(this.#startTimeoutMs, this.#stopping.signal);
      } catch (error) {
        await server.stop();
        if (server.bindFailed && attempt < BIND_ATTEMPTS) continue;
        this.#noteFailure();
        throw error;
      }
      this.#logger?.info(
        { pid: server.child.pid, ms: Math.round(performance.now() - started) },
        'whisper server ready',
      );
      void server.exited.then(() => {
        if (server.stopRequested || this.#stopping.signal.aborted) return;
        this.#noteFailure();
        this.#logger?.warn(
          { exit: server.exitInfo, stderr: server.outputTail },
          'whisper server exited; restarting it on the next call',
        );
      });
      this.#server = server;
      return server;
    }
  }

  /** Each failure in a row doubles the pause before the next start, up to RESTART_BACKOFF_MS.max. */
  #noteFailure(): void {
    this.#failures++;
    const pause = Math.min(RESTART_BACKOFF_MS.first * 2 ** (this.#failures - 1), RESTART_BACKOFF_MS.max);
    this.#nextStartAt = Date.now() + pause;
  }

  async #request(server: ServerProcess, pcm: Int16Array, signal: AbortSignal): Promise<string> {
    const form = new FormData();
    form.append(
      'file',
      new Blob([new Uint8Array(writeWav(pcm, TRANSCRIBER_SAMPLE_RATE))], { type: 'audio/wav' }),
      'utterance.wav',
    );
    form.append('response-format', 'json'); // the server's field name has a dash
    const timeout = AbortSignal.timeout(this.#requestTimeoutMs);
    let status: number;
    let body: string;
    try {
      const response = await fetch(`${server.url}/inference`, {
        method: 'POST',
        body: form,
        signal: AbortSignal.any([signal, timeout, server.exitSignal]),
      });
      status = response.status;
      body = await response.text();
    } catch (error) {
      if (signal.aborted) throw error;
      if (timeout.aborted) {
        // A stuck server would hold every later call behind its mutex: replace it.
        void server.stop();
        throw new TranscriptionError(
          `${this.id}: no answer within ${this.#requestTimeoutMs} ms; restarting the server`,
        );
      }
      await Promise.race([server.exited, sleep(250)]);
      if (!server.alive) {
        throw new TranscriptionError(
          `${this.id}: the whisper server exited (${server.exitInfo}) during the call: ${server.outputTail}`,
        );
      }
      throw new TranscriptionError(`${this.id}: request failed: ${(error as Error).message}`, { cause: error });
    }
    const parsed = parseJson(body) as { text?: unknown; error?: unknown } | undefined;
    if (status !== 200 || !parsed) {
      throw new TranscriptionError(`${this.id}: the server answered HTTP ${status}: ${body.slice(0, 200)}`);
    }
    // The server reports its errors (unreadable WAV, failed inference) as HTTP 200 with an `error` field.
    if (parsed.error !== undefined) throw new TranscriptionError(`${this.id}: ${String(parsed.error)}`);
    if (typeof parsed.text !== 'string') throw new TranscriptionError(`${this.id}: no text in ${body.slice(0, 200)}`);
    this.#failures = 0;
    return parsed.text;
  }
}

/** One whisper.cpp server child and its private working directory (removed once the child has exited). */
class ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves once the child has exited and its directory is gone. */
  readonly exited: Promise<void>;
  /** Aborts when the child exits, failing a request in flight at once. */
  readonly exitSignal: AbortSignal;
  exitInfo = '';
  stopRequested = false;
  #output = '';

  constructor(binary: string, args: string[], port: number, logger: Logger | undefined, workDir: string) {
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(binary, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    // stdout carries the recognised text (a citizen's words): drained, never logged.
    this.child.stdout!.resume();
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#output = (this.#output + chunk).slice(-OUTPUT_TAIL_CHARS);
      logger?.debug({ pid: this.child.pid, stderr: chunk.trimEnd() }, 'whisper server output');
    });
    // An idle server must not keep the process alive; if the process exits without close(), kill the child.
    const killOnExit = () => this.child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.child.unref();
    for (const stream of [this.child.stdout, this.child.stderr]) (stream as Socket).unref();
    const exit = new AbortController();
    this.exitSignal = exit.signal;
    this.exited = new Promise<void>((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exitInfo = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
      this.child.once('error', (error) => {
        if (this.child.pid !== undefined) return;
        this.exitInfo = error.message;
        resolve();
      });
    }).then(async () => {
      process.off('exit', killOnExit);
      exit.abort();
      await rm(workDir, { recursive: true, force: true });
    });
  }

  get alive(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get outputTail(): string {
    return this.#output.trim();
  }

  get bindFailed(): boolean {
    return this.#output.includes("couldn't bind to server socket");
  }

  /** Polls `GET /` until the server answers: it loads the model before it binds its port. */
  async ready(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal.throwIfAborted();
      if (this.exitSignal.aborted || !this.alive) {
        await this.exited;
        throw new TranscriptionError(`whisper server exited (${this.exitInfo}) while starting: ${this.outputTail}`);
      }
      const answered = await fetch(`${this.url}/`, { signal: AbortSignal.timeout(1000) }).then(
        async (response) => (await response.arrayBuffer(), true),
        () => false,
      );
      if (answered) return;
      if (Date.now() > deadline) {
        throw new TranscriptionError(`whisper server did not answer within ${timeoutMs} ms: ${this.outputTail}`);
      }
      await Promise.race([this.exited, sleep(50)]);
    }
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once the child is gone and its directory removed. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.alive) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), KILL_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }
}

/** Both whisper processes check their binary and model first, with errors that say what to do. */
export async function requireFiles(binary: string, model: string, binaryName: string): Promise<void> {
  if (!(await canAccess(binary, constants.X_OK))) {
    throw new TranscriptionError(
      `whisper.cpp binary not found or not executable: ${binary} (${binaryName}; \`npm run build:whisper\` builds it)`,
    );
  }
  const isFile = await stat(model).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile || !(await canAccess(model, constants.R_OK))) {
    throw new TranscriptionError(
      `whisper model not found or not readable: ${model} (WHISPER_MODEL: a ggml model file)`,
    );
  }
}

const canAccess = (file: string, mode: number) =>
  access(file, mode).then(
    () => true,
    () => false,
  );

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** A free loopback port; the server may still lose it to another process before it binds (then: retry). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
