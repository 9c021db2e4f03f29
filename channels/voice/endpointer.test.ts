import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMulaw, encodeMulaw, readWav, resample } from './audio.js';
import { Endpointer, type EndpointEvent, type EndpointerOptions } from './endpointer.js';
import { seededRandom } from '../../test/support/random.js';

const FIXTURES = process.env.MINSHENG_AUDIO_FIXTURES ?? '/work/shared/fixtures/audio';
const ZH_FIXTURE = join(FIXTURES, 'zh-espeak-16k.wav');
const zhMissing = !existsSync(ZH_FIXTURE);
if (zhMissing) process.stderr.write(`[skip] audio fixture ${ZH_FIXTURE} is absent (set MINSHENG_AUDIO_FIXTURES)\n`);

const rms = (dbfs: number) => 32768 * 10 ** (dbfs / 20);
const count = (rate: number, ms: number) => Math.round((rate * ms) / 1000);
const silence = (rate: number, ms: number) => new Int16Array(count(rate, ms));
/** A sine whose RMS level is `dbfs`. */
const tone = (rate: number, ms: number, dbfs: number, hz = 440) =>
  Int16Array.from({ length: count(rate, ms) }, (_, i) =>
    Math.round(rms(dbfs) * Math.SQRT2 * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
/** White noise whose RMS level is `dbfs` (uniform: peak = RMS x sqrt 3). */
const noise = (rate: number, ms: number, dbfs: number, seed = 1) => {
  const next = seededRandom(seed);
  return Int16Array.from({ length: count(rate, ms) }, () => Math.round(rms(dbfs) * Math.sqrt(3) * (2 * next() - 1)));
};
const concat = (...parts: Int16Array[]) => {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};
const mix = (a: Int16Array, b: Int16Array) =>
  a.map((sample, i) => Math.max(-32768, Math.min(32767, sample + (b[i] ?? 0))));

type Heard = EndpointEvent & { heardAtMs: number };

/** Streams `pcm` in `chunk`-sample pieces, then flushes; each event with the audio time it was emitted at. */
function listen(pcm: Int16Array, options: EndpointerOptions, chunk = count(options.sampleRate, 20)): Heard[] {
  const endpointer = new Endpointer(options);
  const heard: Heard[] = [];
  for (let at = 0; at < pcm.length; at += chunk) {
    for (const event of endpointer.push(pcm.subarray(at, at + chunk)))
      heard.push({ ...event, heardAtMs: endpointer.timeMs });
  }
  for (const event of endpointer.flush()) heard.push({ ...event, heardAtMs: endpointer.timeMs });
  return heard;
}

const utterances = (heard: Heard[]) => heard.filter((e) => e.type === 'utterance');

describe('Endpointer', () => {
  it.each([8000, 16000])('finds one utterance within a frame of its edges at %i Hz', (sampleRate) => {
    // Edges 10 ms into a frame: the frame holding an edge may go either way.
    const pcm = concat(silence(sampleRate, 1010), tone(sampleRate, 2000, -20), silence(sampleRate, 2000));
    const heard = listen(pcm, { sampleRate });
    expect(heard.map((e) => e.type)).toEqual(['speech-start', 'utterance']);
    const [start, utterance] = heard as [Heard & { type: 'speech-start' }, Heard & { type: 'utterance' }];
    expect(start.atMs).toBe(utterance.startMs);
    expect(start.heardAtMs - start.atMs).toBeGreaterThanOrEqual(120);
    expect(start.heardAtMs - start.atMs).toBeLessThanOrEqual(140);
    expect(utterance.reason).toBe('silence');
    expect(utterance.startMs).toBeGreaterThanOrEqual(990);
    expect(utterance.startMs).toBeLessThanOrEqual(1030);
    expect(utterance.endMs).toBeGreaterThanOrEqual(2990);
    expect(utterance.endMs).toBeLessThanOrEqual(3030);
    // Emitted once 700 ms of silence followed, on the audio clock.
    expect(utterance.heardAtMs - utterance.endMs).toBeGreaterThanOrEqual(700);
    expect(utterance.heardAtMs - utterance.endMs).toBeLessThanOrEqual(720);
    // 200 ms of pre-roll and of tail around the speech.
    expect(utterance.audio.length).toBe(count(sampleRate, utterance.endMs - utterance.startMs + 400));
  });

  it('frames any chunk size the same way', () => {
    const pcm = concat(silence(8000, 500), tone(8000, 800, -25), silence(8000, 900), tone(8000, 400, -25));
    const strip = (heard: Heard[]) => heard.map(({ heardAtMs: _, ...event }) => event);
    const reference = strip(listen(pcm, { sampleRate: 8000 }));
    expect(reference.filter((e) => e.type === 'utterance')).toHaveLength(2);
    for (const chunk of [1, 137, 160, 1000, pcm.length])
      expect(strip(listen(pcm, { sampleRate: 8000 }, chunk))).toEqual(reference);
  });

  it('keeps words 300 ms apart in one utterance and splits them 1 s apart', () => {
    const word = () => tone(8000, 600, -20);
    expect(
      utterances(listen(concat(word(), silence(8000, 300), word(), silence(8000, 1000)), { sampleRate: 8000 })),
    ).toHaveLength(1);
    const two = utterances(
      listen(concat(word(), silence(8000, 1000), word(), silence(8000, 1000)), { sampleRate: 8000 }),
    );
    expect(two.map((u) => [u.startMs, u.endMs])).toEqual([
      [0, 600],
      [1600, 2200],
    ]);
  });

  it('ignores a 60 ms click, which does not restart the silence clock either', () => {
    const endpointer = new Endpointer({ sampleRate: 8000 });
    const events = [
      ...endpointer.push(silence(8000, 2000)),
      ...endpointer.push(tone(8000, 60, -10)),
      ...endpointer.push(silence(8000, 2000)),
    ];
    expect(events).toEqual([]);
    expect(endpointer.silenceMs).toBe(4060);
  });

  it('discards a burst long enough to declare speech but too short to be an utterance', () => {
    const heard = listen(concat(silence(8000, 500), tone(8000, 160, -15), silence(8000, 1000)), { sampleRate: 8000 });
    expect(heard.map(({ type, heardAtMs: _, ...rest }) => ({ type, ...rest }))).toEqual([
      { type: 'speech-start', atMs: 500 },
      { type: 'discarded', startMs: 500, endMs: 660 },
    ]);
  });

  it('cuts a 20 s monologue at 15 s and goes on listening', () => {
    const heard = listen(concat(tone(8000, 20_000, -20), silence(8000, 1000)), { sampleRate: 8000 });
    const [first, second] = utterances(heard);
    expect(first).toMatchObject({ reason: 'max-length', startMs: 0, endMs: 15_000 });
    expect(first!.audio).toHaveLength(15 * 8000);
    expect(first!.heardAtMs).toBe(15_000);
    // The rest is a new utterance; its pre-roll does not repeat audio already handed out.
    expect(second).toMatchObject({ reason: 'silence', startMs: 15_000, endMs: 20_000 });
    expect(second!.audio).toHaveLength(5.2 * 8000);
  });

  it.each([-60, -50, -45])('hears no speech in steady %i dBFS line noise, even after mu-law', (dbfs) => {
    const line = decodeMulaw(encodeMulaw(noise(8000, 30_000, dbfs)));
    expect(listen(line, { sampleRate: 8000 })).toEqual([]);
  });

  it('hears quiet speech over -50 dBFS noise', () => {
    const speech = concat(silence(8000, 3000), tone(8000, 1500, -30, 300), silence(8000, 1500));
    const heard = listen(mix(speech, noise(8000, 6000, -50, 7)), { sampleRate: 8000 });
    expect(utterances(heard).map((u) => [u.startMs, u.endMs])).toEqual([[3000, 4500]]);
  });

  it('absorbs loud steady noise (-35 dBFS) into the noise floor within 30 s', () => {
    const heard = listen(noise(8000, 120_000, -35, 3), { sampleRate: 8000 });
    const lastEvent = heard.at(-1)?.heardAtMs ?? 0;
    expect(lastEvent).toBeLessThan(35_000);
  });

  it('detects a tone after a mu-law round trip over line noise', () => {
    const line = mix(
      concat(silence(8000, 1000), tone(8000, 1000, -25, 1000), silence(8000, 1000)),
      noise(8000, 3000, -50),
    );
    const [utterance] = utterances(listen(decodeMulaw(encodeMulaw(line)), { sampleRate: 8000 }));
    expect(utterance).toMatchObject({ startMs: 1000, endMs: 2000 });
  });

  // Measured on the 2-core dev VM: ~150 ms for the hour (180,000 frames).
  it('streams an hour of silence in 20 ms frames with no events, quickly', () => {
    const endpointer = new Endpointer({ sampleRate: 8000 });
    const frame = new Int16Array(160);
    const started = performance.now();
    let events = 0;
    for (let i = 0; i < 180_000; i++) events += endpointer.push(frame).length;
    events += endpointer.flush().length;
    const elapsed = performance.now() - started;
    expect(events).toBe(0);
    expect(endpointer.timeMs).toBe(3_600_000);
    expect(endpointer.silenceMs).toBe(3_600_000);
    expect(elapsed).toBeLessThan(1000); // a guard against per-frame work growing with the stream
  });

  it('tracks silence since the last speech, and resetSilence drops the utterance in progress', () => {
    const endpointer = new Endpointer({ sampleRate: 8000 });
    endpointer.resetSilence(); // mid-frame, before any audio was framed
    endpointer.push(silence(8000, 500));
    expect(endpointer.push(tone(8000, 500, -20))).toEqual([{ type: 'speech-start', atMs: 500 }]);
    expect(endpointer.inSpeech).toBe(true);
    expect(endpointer.silenceMs).toBe(0);
    endpointer.resetSilence();
    expect(endpointer.inSpeech).toBe(false);
    expect(endpointer.push(silence(8000, 1005))).toEqual([]);
    endpointer.resetSilence(); // with 5 ms of a frame pending
    expect(endpointer.silenceMs).toBe(0);
    expect(endpointer.push(silence(8000, 995))).toEqual([]);
    expect(endpointer.silenceMs).toBe(995);
    endpointer.push(tone(8000, 500, -20));
    const [utterance] = endpointer.flush();
    expect(utterance).toMatchObject({ type: 'utterance', reason: 'end-of-stream', startMs: 3000, endMs: 3500 });
    expect((utterance as { audio: Int16Array }).audio).toHaveLength(700 * 8);
  });

  it('never pre-rolls audio from before a reset (the bot heard through its own prompt)', () => {
    const endpointer = new Endpointer({ sampleRate: 8000 });
    endpointer.push(tone(8000, 300, -20));
    endpointer.resetSilence();
    endpointer.push(silence(8000, 100));
    endpointer.push(tone(8000, 500, -20));
    const [utterance] = endpointer.flush();
    expect(utterance).toMatchObject({ type: 'utterance', startMs: 400, endMs: 900 });
    expect((utterance as { audio: Int16Array }).audio).toHaveLength(600 * 8);
  });

  it('ends the utterance in progress at the end of the stream', () => {
    const heard = listen(concat(silence(8000, 300), tone(8000, 1000, -20)), { sampleRate: 8000 });
    expect(utterances(heard)).toMatchObject([{ reason: 'end-of-stream', startMs: 300, endMs: 1300 }]);
  });

  describe.skipIf(zhMissing)('on recorded Mandarin (zh-espeak-16k.wav)', () => {
    /** ms where the recording is not near-silent, in 20 ms frames. */
    function activeFrames(pcm: Int16Array, rate: number): number[] {
      const frame = count(rate, 20);
      const active: number[] = [];
      for (let at = 0; at + frame <= pcm.length; at += frame) {
        const peak = pcm.subarray(at, at + frame).reduce((m, s) => Math.max(m, Math.abs(s)), 0);
        if (peak > rms(-35)) active.push((at / rate) * 1000);
      }
      return active;
    }

    it.each([
      ['16 kHz as recorded', 16000],
      ['8 kHz mu-law, as on the phone line', 8000],
    ])('finds utterances covering the speech, %s', (_, rate) => {
      const wav = readWav(readFileSync(ZH_FIXTURE));
      let pcm = resample(wav.pcm, wav.sampleRate, rate);
      if (rate === 8000) pcm = decodeMulaw(encodeMulaw(pcm));
      const found = utterances(listen(pcm, { sampleRate: rate }));
      expect(found.length).toBeGreaterThanOrEqual(1);
      const active = activeFrames(pcm, rate);
      const covered = active.filter((ms) => found.some((u) => ms >= u.startMs - 20 && ms < u.endMs));
      expect(covered.length / active.length).toBeGreaterThan(0.9);
    });
  });
});
