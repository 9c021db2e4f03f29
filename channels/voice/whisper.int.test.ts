/**
 * Real whisper.cpp processes with whisper.cpp's zero-weight test model (../shared/fixtures/whisper): it runs the
 * whole pipeline and recognises nothing, so transcripts are ''. Each recognition costs 2-4 s of CPU: calls
 * are few. The fixtures live outside the repository: without them the tests skip. Without the binaries
 * (`npm run build:whisper`) they skip too, except in CI (MINSHENG_REQUIRE_SERVICES=1), where they fail.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../core/process-alive.js';
import { createLogger } from '../../core/logger.js';
import { readWav } from './audio.js';
import { FakeTranscriber } from './fake-transcriber.js';
import { describeTranscriberConformance } from './transcriber.conformance.js';
import { WhisperCliTranscriber } from './whisper-cli.js';
import { WhisperServerTranscriber } from './whisper.js';
import {
  fixturesMissing,
  SPEECH,
  TINY_MODEL,
  whisperBinaries,
  whisperMissing,
} from '../../test/support/voice-fixtures.js';

const MODEL = TINY_MODEL;
const binaries = whisperBinaries;
const noFixtures = fixturesMissing();
const noWhisper = noFixtures ?? whisperMissing();

// One thread: the suite runs two files at a time on two cores, and other files time their waits.
const serverOptions = { serverBinary: binaries.server, model: MODEL, threads: 1 };

describe.skipIf(noFixtures)('FakeTranscriber', () => {
  describeTranscriberConformance(
    'FakeTranscriber',
    async () =>
      // Raw whisper-style output: the base class must strip the tags and the spaces between Chinese words.
      new FakeTranscriber({ script: ['(音乐) 今天天气很好， 我们一起去公园散步吧。\n[BLANK_AUDIO]'], delayMs: 300 }),
    { fixture: SPEECH, text: '今天天气很好，我们一起去公园散步吧。' },
  );

  it('plays its script in order, then the default text, and fails scripted steps with a TranscriptionError', async () => {
    const fake = new FakeTranscriber({
      script: ['一', new Error('recogniser down'), (pcm) => `${pcm.length} samples`],
      defaultText: '好的',
    });
    const audio = new Int16Array(3200);
    await expect(fake.transcribe(audio)).resolves.toMatchObject({ text: '一', audioMs: 200 });
    await expect(fake.transcribe(audio)).rejects.toMatchObject({ code: 'E_TRANSCRIPTION', message: /recogniser down/ });
    await expect(fake.transcribe(audio)).resolves.toMatchObject({ text: '3200 samples' });
    await expect(fake.transcribe(audio, { language: 'en' })).resolves.toMatchObject({ text: '好的' });
    await expect(fake.transcribe(new Int16Array(100))).resolves.toMatchObject({ text: '' });
    expect(fake.calls).toEqual([
      { samples: 3200, language: 'zh' },
      { samples: 3200, language: 'zh' },
      { samples: 3200, language: 'zh' },
      { samples: 3200, language: 'en' },
    ]);
  });
});

describe.skipIf(noWhisper)('WhisperServerTranscriber (whisper.cpp server, zero-weight test model)', () => {
  describeTranscriberConformance('WhisperServerTranscriber', async () => new WhisperServerTranscriber(serverOptions), {
    fixture: SPEECH,
    text: '',
  });

  let whisper: WhisperServerTranscriber;
  let speech: Int16Array;
  const logged: string[] = [];
  beforeAll(async () => {
    speech = readWav(await readFile(SPEECH)).pcm;
    const destination = new Writable({
      write: (chunk: Buffer, _encoding, done) => (logged.push(chunk.toString('utf8')), done()),
    });
    whisper = new WhisperServerTranscriber({ ...serverOptions, logger: createLogger({ level: 'debug', destination }) });
  });
  afterAll(() => whisper?.close());
  const clip = (ms: number) => speech.subarray(0, (ms * 16_000) / 1000);

  it('keeps one server with the model loaded across calls', async () => {
    await whisper.start();
    const pid = whisper.pid;
    expect(pid).toBeTypeOf('number');
    await expect(whisper.transcribe(clip(1500))).resolves.toMatchObject({ text: '' });
    await expect(whisper.transcribe(clip(1500))).resolves.toMatchObject({ text: '' });
    expect(whisper.pid).toBe(pid);
  });

  it("pads audio under whisper.cpp's 1 s minimum, which it would otherwise skip", async () => {
    await expect(whisper.transcribe(clip(500))).resolves.toMatchObject({ text: '', audioMs: 500 });
    // whisper.cpp logs what it processed on stderr, which the transcriber logs at debug level.
    expect(logged.join('')).toContain('(17600 samples, 1.1 sec)');
  });

  it('restarts the server on the next call after it was killed', async () => {
    const killed = whisper.pid!;
    process.kill(killed, 'SIGKILL');
    while (isAlive(killed)) await sleep(20);
    await expect(whisper.transcribe(clip(1500))).resolves.toMatchObject({ text: '' });
    expect(whisper.pid).toBeTypeOf('number');
    expect(whisper.pid).not.toBe(killed);
  });

  it('fails the call in flight with a TranscriptionError when the server dies', async () => {
    const call = whisper.transcribe(speech);
    await sleep(300);
    process.kill(whisper.pid!, 'SIGKILL');
    await expect(call).rejects.toMatchObject({ code: 'E_TRANSCRIPTION', message: /exited \(signal SIGKILL\)/ });
  });

  it('on close, stops the server and removes its working directory', async () => {
    const own = new WhisperServerTranscriber(serverOptions);
    await own.start();
    const pid = own.pid!;
    const workDir = await readlink(`/proc/${pid}/cwd`).catch(() => null);
    if (workDir) expect(workDir.startsWith(tmpdir())).toBe(true);
    await own.close();
    expect(isAlive(pid)).toBe(false);
    if (workDir) expect(existsSync(workDir)).toBe(false);
  });

  it('names a missing model or binary in its error', async () => {
    const noModel = new WhisperServerTranscriber({ ...serverOptions, model: '/nonexistent/ggml-small.bin' });
    await expect(noModel.start()).rejects.toMatchObject({
      code: 'E_TRANSCRIPTION',
      message: expect.stringContaining('whisper model not found or not readable: /nonexistent/ggml-small.bin'),
    });
    await noModel.close();
    const noBinary = new WhisperServerTranscriber({ ...serverOptions, serverBinary: '/nonexistent/server' });
    await expect(noBinary.transcribe(clip(1500))).rejects.toMatchObject({
      code: 'E_TRANSCRIPTION',
      message: expect.stringContaining('/nonexistent/server'),
    });
    await noBinary.close();
  });

  it("reports a corrupt model file with whisper's own message", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'minsheng-test-'));
    const model = path.join(dir, 'corrupt.bin');
    await writeFile(model, 'not a ggml model '.repeat(100));
    const corrupt = new WhisperServerTranscriber({ ...serverOptions, model });
    try {
      await expect(corrupt.start()).rejects.toMatchObject({
        code: 'E_TRANSCRIPTION',
        message: expect.stringMatching(/exited \(code \d+\) while starting:[\s\S]*bad magic/),
      });
      expect(corrupt.pid).toBeUndefined();
    } finally {
      await corrupt.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives the same text from the process-per-utterance CLI', async () => {
    const cli = new WhisperCliTranscriber({ cliBinary: binaries.cli, model: MODEL, threads: 1 });
    try {
      const fromCli = await cli.transcribe(clip(1500));
      const fromServer = await whisper.transcribe(clip(1500));
      expect(fromCli.text).toBe(fromServer.text);
    } finally {
      await cli.close();
    }
  });
});
