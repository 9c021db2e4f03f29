/**
 * The suite every `Transcriber` runs (call it from the implementation's test file). It knows only the port:
 * an implementation passes a factory and what its transcript of the fixture must match.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav, resample } from './audio.js';
import { TRANSCRIBER_SAMPLE_RATE, type Transcriber } from './transcriber.js';

export interface TranscriberConformanceExpectations {
  /** A WAV file with speech (any rate: it is resampled to 16 kHz). */
  fixture: string;
  /** What the transcript of the fixture must be (a string is compared exactly). */
  text: string | RegExp;
}

export function describeTranscriberConformance(
  name: string,
  make: () => Promise<Transcriber>,
  expectations: TranscriberConformanceExpectations,
): void {
  describe(`Transcriber conformance: ${name}`, () => {
    let speech: Int16Array;
    let transcriber: Transcriber | undefined;
    const second = () => speech.subarray(0, TRANSCRIBER_SAMPLE_RATE);

    beforeAll(async () => {
      const { sampleRate, pcm } = readWav(await readFile(expectations.fixture));
      speech = sampleRate === TRANSCRIBER_SAMPLE_RATE ? pcm : resample(pcm, sampleRate, TRANSCRIBER_SAMPLE_RATE);
      transcriber = await make();
      await transcriber.start();
    });
    afterAll(() => transcriber?.close());

    it("transcribes a WAV fixture's speech to a string", async () => {
      const transcript = await transcriber!.transcribe(speech);
      if (typeof expectations.text === 'string') expect(transcript.text).toBe(expectations.text);
      else expect(transcript.text).toMatch(expectations.text);
      expect(transcript.audioMs).toBeCloseTo((speech.length * 1000) / TRANSCRIBER_SAMPLE_RATE, 3);
      expect(transcript.elapsedMs).toBeGreaterThan(0);
    });

    it('resolves empty and too-short audio to an empty transcript without an error', async () => {
      await expect(transcriber!.transcribe(new Int16Array(0))).resolves.toEqual({ text: '', audioMs: 0, elapsedMs: 0 });
      const click = speech.subarray(0, TRANSCRIBER_SAMPLE_RATE / 20); // 50 ms
      await expect(transcriber!.transcribe(click)).resolves.toEqual({ text: '', audioMs: 50, elapsedMs: 0 });
    });

    it('resolves concurrent calls, each with its own transcript', async () => {
      const transcripts = await Promise.all([transcriber!.transcribe(second()), transcriber!.transcribe(second())]);
      for (const transcript of transcripts) {
        expect(typeof transcript.text).toBe('string');
        expect(transcript.audioMs).toBe(1000);
      }
    });

    it('rejects an unknown language code with a TranscriptionError', async () => {
      await expect(transcriber!.transcribe(second(), { language: 'Chinese' })).rejects.toMatchObject({
        code: 'E_TRANSCRIPTION',
        message: expect.stringMatching(/language/),
      });
    });

    it("rejects with the signal's reason when aborted before or during a call", async () => {
      await expect(transcriber!.transcribe(speech, { signal: AbortSignal.abort() })).rejects.toMatchObject({
        name: 'AbortError',
      });
      const controller = new AbortController();
      const call = transcriber!.transcribe(speech, { signal: controller.signal });
      await sleep(20);
      const abortedAt = performance.now();
      controller.abort();
      await expect(call).rejects.toMatchObject({ name: 'AbortError' });
      // Promptly: not after the recogniser has finished the audio.
      expect(performance.now() - abortedAt).toBeLessThan(1000);
    });

    it('leaves no child process behind after close, and then rejects calls with a TranscriptionError', async () => {
      const before = await childPids();
      const own = await make();
      await own.start();
      await own.close();
      expect(newPids(before, await childPids())).toEqual([]);
      await expect(own.transcribe(second())).rejects.toMatchObject({
        code: 'E_TRANSCRIPTION',
        message: expect.stringMatching(/closed/),
      });
      await expect(own.start()).rejects.toMatchObject({ code: 'E_TRANSCRIPTION' });
      await own.close(); // idempotent
    });

    it('rejects a call in flight with a TranscriptionError when closed', async () => {
      const before = await childPids();
      const own = await make();
      const outcome = own.transcribe(speech).then(
        () => null,
        (error: unknown) => error,
      );
      await sleep(100);
      await own.close();
      expect(await outcome).toMatchObject({ code: 'E_TRANSCRIPTION' });
      expect(newPids(before, await childPids())).toEqual([]);
    });
  });
}

const newPids = (before: number[], after: number[]) => after.filter((pid) => !before.includes(pid));

/** This process's children (Linux /proc; elsewhere `ps`). */
async function childPids(): Promise<number[]> {
  const ppid = String(process.pid);
  const entries = await readdir('/proc').catch(() => null);
  if (!entries) {
    const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pid=,ppid=']);
    return stdout
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, parent]) => parent === ppid)
      .map(([pid]) => Number(pid));
  }
  const pids = await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (pid) => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        // Fields after the parenthesised command name: state, ppid, ...
        const parent = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
        return parent === ppid ? Number(pid) : undefined;
      }),
  );
  return pids.filter((pid): pid is number => pid !== undefined);
}
