import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nock, { onlyLocalNetwork } from '../../test/support/nock.js';
import { standInBinaries } from '../../test/support/stand-in-binaries.js';
import { TELEPHONY_RATE, writeWav } from './audio.js';
import {
  EspeakSynthesizer,
  HttpSynthesizer,
  MAX_SPOKEN_CHARS,
  SynthesisError,
  espeakAvailable,
  limitSpokenText,
  type SynthesisMetrics,
} from './synthesizer.js';

/**
 * Text-to-speech against the real espeak-ng (Debian package espeak-ng) and an OpenAI-compatible speech
 * endpoint faked by nock. Without espeak-ng the espeak tests skip, saying so; CI sets
 * MINSHENG_REQUIRE_SERVICES=1 so that a missing espeak-ng fails the run instead.
 */
async function espeakUnavailable(): Promise<string | null> {
  if (await espeakAvailable()) return null;
  const reason = 'espeak-ng is not installed (apt-get install espeak-ng)';
  if (process.env.MINSHENG_REQUIRE_SERVICES === '1') {
    throw new Error(`${reason} (MINSHENG_REQUIRE_SERVICES=1, so this fails instead of skipping)`);
  }
  process.stderr.write(`[skip] ${reason}\n`);
  return reason;
}
const espeakSkip = await espeakUnavailable();

/** ms of 20 ms frames louder than -40 dBFS. */
function voicedMs(pcm: Int16Array, rate: number): number {
  const frame = rate / 50;
  let voiced = 0;
  for (let at = 0; at + frame <= pcm.length; at += frame) {
    const energy = pcm.subarray(at, at + frame).reduce((sum, s) => sum + s * s, 0) / frame;
    if (10 * Math.log10(energy / 32768 ** 2) > -40) voiced += 20;
  }
  return voiced;
}

/** Counts provider calls and records the text each one was given. */
class CountingEspeak extends EspeakSynthesizer {
  readonly texts: string[] = [];
  protected override _synthesize(text: string, locale: string, signal?: AbortSignal) {
    this.texts.push(text);
    return super._synthesize(text, locale, signal);
  }
}

const tone = (rate: number, seconds: number) =>
  Int16Array.from({ length: rate * seconds }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)));

const ZH = '您好，这里是12345市民服务热线，请问有什么可以帮您？';
const line = { locale: 'zh-CN', sampleRate: TELEPHONY_RATE };

describe('limitSpokenText', () => {
  it('trims, and cuts long text after the last whole sentence that fits', () => {
    expect(limitSpokenText('  您好。 ')).toBe('您好。');
    const long = '请您耐心等待，我们会尽快处理。'.repeat(60);
    const cut = limitSpokenText(long);
    expect(cut.length).toBeLessThanOrEqual(MAX_SPOKEN_CHARS);
    expect(cut.length).toBeGreaterThan(MAX_SPOKEN_CHARS - 20);
    expect(cut.endsWith('。')).toBe(true);
    const english = `The fee is 3.5 yuan. ${'Please hold the line. '.repeat(40)}`;
    expect(limitSpokenText(english)).toMatch(/line\.$/);
  });
});

describe.skipIf(espeakSkip)('EspeakSynthesizer with espeak-ng', () => {
  it('speaks Mandarin: over half a second of 8 kHz speech', async () => {
    const metrics: SynthesisMetrics[] = [];
    const pcm = await new EspeakSynthesizer({ onMetrics: (m) => metrics.push(m) }).synthesize(ZH, line);
    expect(voicedMs(pcm, 8000)).toBeGreaterThan(500);
    expect(metrics).toMatchObject([{ provider: 'espeak-ng', characters: ZH.length, cached: false }]);
  });

  it('speaks English', async () => {
    const pcm = await new EspeakSynthesizer().synthesize('Hello, this is the city service hotline.', {
      locale: 'en-US',
      sampleRate: 16000,
    });
    expect(voicedMs(pcm, 16000)).toBeGreaterThan(500);
  });

  it('speaks text that looks like options instead of obeying it', async () => {
    // As options, espeak-ng would print its help text instead of a WAV, and this would reject.
    const pcm = await new EspeakSynthesizer().synthesize('-h --help', { locale: 'en-US', sampleRate: 8000 });
    expect(voicedMs(pcm, 8000)).toBeGreaterThan(300);
  });

  it('serves repeats from the cache and shares identical syntheses in flight', async () => {
    const metrics: SynthesisMetrics[] = [];
    const espeak = new CountingEspeak({ onMetrics: (m) => metrics.push(m) });
    const [a, b] = await Promise.all([espeak.synthesize(ZH, line), espeak.synthesize(ZH, line)]);
    expect(espeak.texts).toHaveLength(1);
    const again = await espeak.synthesize(`  ${ZH}\n`, line);
    expect(espeak.texts).toHaveLength(1);
    expect(again).toEqual(a);
    expect(b).toEqual(a);
    // Copies: a caller changing its audio (gain, fades) does not change the next caller's.
    expect(again).not.toBe(a);
    a.fill(0);
    expect(await espeak.synthesize(ZH, line)).toEqual(again);
    expect(metrics.map((m) => m.cached)).toEqual([false, true, true]);
    await espeak.synthesize(ZH, { ...line, sampleRate: 16000 });
    expect(espeak.texts).toHaveLength(2);
  });

  it('returns empty audio for empty text without running espeak-ng', async () => {
    const espeak = new CountingEspeak();
    expect(await espeak.synthesize(' \n ', line)).toEqual(new Int16Array(0));
    expect(espeak.texts).toEqual([]);
  });

  it('speaks at most the first 600 characters, up to a sentence end', async () => {
    const espeak = new CountingEspeak();
    await espeak.synthesize('您的诉求已经受理。'.repeat(100), line);
    expect(espeak.texts[0]!.length).toBeLessThanOrEqual(600);
    expect(espeak.texts[0]!.endsWith('。')).toBe(true);
  });

  it('rejects an already aborted request without running espeak-ng', async () => {
    const espeak = new CountingEspeak();
    const signal = AbortSignal.abort();
    await expect(espeak.synthesize(ZH, { ...line, signal })).rejects.toThrow(/abort/i);
    expect(espeak.texts).toEqual([]);
  });

  it("fails with espeak-ng's message for a voice it does not have", async () => {
    const speaking = new EspeakSynthesizer().synthesize('bonjour', { locale: 'xx-YY', sampleRate: 8000 });
    await expect(speaking).rejects.toThrow(SynthesisError);
    await expect(speaking).rejects.toThrow(/voice does not exist/);
  });
});

describe('EspeakSynthesizer process handling (stand-in binaries)', () => {
  let tools: string;
  let wav: string;
  let script: (name: string, body: string) => string;
  let remove: () => void;
  beforeAll(() => {
    ({ dir: tools, script, remove } = standInBinaries('minsheng-tts-'));
    wav = join(tools, 'tone.wav');
    writeFileSync(wav, writeWav(tone(22050, 1), 22050));
  });
  afterAll(() => remove());

  it('passes the text on stdin, never as an argument, and reports stderr on failure', async () => {
    const binary = script(
      'recording',
      `printf '%s\\n' "$@" > "${tools}/args"; cat > "${tools}/stdin"; echo boom >&2; exit 3`,
    );
    const text = '--version; rm -rf / `id`';
    await expect(new EspeakSynthesizer({ binary }).synthesize(text, line)).rejects.toThrow(/exit 3\): boom/);
    expect(readFileSync(join(tools, 'args'), 'utf8').split('\n')).toEqual([
      '-v',
      'cmn',
      '-s',
      '175',
      '-b',
      '1',
      '--stdin',
      '--stdout',
      '',
    ]);
    expect(readFileSync(join(tools, 'stdin'), 'utf8')).toBe(text);
  });

  it('decodes and resamples what the binary writes', async () => {
    const binary = script('speaking', `cat >/dev/null; cat "${wav}"`);
    const pcm = await new EspeakSynthesizer({ binary }).synthesize('你好', line);
    expect(pcm).toHaveLength(8000);
  });

  it('kills a synthesis that runs past the time-out', async () => {
    const binary = script('stuck', 'exec sleep 30');
    const started = Date.now();
    const speaking = new EspeakSynthesizer({ binary, timeoutMs: 200 }).synthesize('你好', line);
    await expect(speaking).rejects.toThrow(/did not answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('stops a shared synthesis only when every caller has given up', async () => {
    const binary = script('slow', `cat >/dev/null; sleep 0.5; cat "${wav}"`);
    const espeak = new CountingEspeak({ binary });
    const leaving = new AbortController();
    const first = espeak.synthesize('请稍等', { ...line, signal: leaving.signal });
    const second = espeak.synthesize('请稍等', line);
    setTimeout(() => leaving.abort(), 50);
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    expect(await second).toHaveLength(8000);
    expect(espeak.texts).toHaveLength(1);

    const alone = new AbortController();
    const started = Date.now();
    const third = espeak.synthesize('请再说一遍', { ...line, signal: alone.signal });
    setTimeout(() => alone.abort(), 50);
    await expect(third).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('says which package to install when the binary is missing', async () => {
    const speaking = new EspeakSynthesizer({ binary: join(tools, 'no-espeak') }).synthesize('你好', line);
    await expect(speaking).rejects.toThrow(/not found \(Debian package espeak-ng\)/);
    expect(await espeakAvailable(join(tools, 'no-espeak'))).toBe(false);
  });
});

describe('HttpSynthesizer (OpenAI-compatible, faked by nock)', () => {
  const BASE = 'https://tts.example.test';
  const options = { baseUrl: `${BASE}/v1/`, apiKey: 'tts-key', model: 'tts-1', voice: 'alloy' };
  onlyLocalNetwork();

  it('posts the text and decodes the WAV answer to 8 kHz', async () => {
    nock(BASE)
      .post('/v1/audio/speech', { model: 'tts-1', input: '您好', voice: 'alloy', response_format: 'wav' })
      .matchHeader('authorization', 'Bearer tts-key')
      .reply(200, writeWav(tone(24000, 1), 24000), { 'content-type': 'audio/wav' });
    const pcm = await new HttpSynthesizer(options).synthesize(' 您好 ', line);
    expect(pcm).toHaveLength(8000);
    expect(voicedMs(pcm, 8000)).toBeGreaterThan(900);
  });

  it('fails with the status when the endpoint fails', async () => {
    nock(BASE)
      .post('/v1/audio/speech')
      .reply(500, { error: { message: 'overloaded' } });
    const speaking = new HttpSynthesizer(options).synthesize('您好', line);
    await expect(speaking).rejects.toThrow(SynthesisError);
    await expect(speaking).rejects.toMatchObject({ status: 500, message: /answered 500: .*overloaded/ });
  });

  it('gives up after the time-out', async () => {
    // A real server that never answers: nock's delay() does not hold back a fetch response, and an aborted
    // intercepted request trips an assertion inside undici.
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const started = Date.now();
      const speaking = new HttpSynthesizer({ ...options, baseUrl: `http://127.0.0.1:${port}/v1`, timeoutMs: 200 });
      await expect(speaking.synthesize('您好', line)).rejects.toThrow(/http did not answer within 200 ms/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses an answer that is not WAV', async () => {
    nock(BASE).post('/v1/audio/speech').reply(200, Buffer.from('ID3\x03\0\0\0'), { 'content-type': 'audio/mpeg' });
    const speaking = new HttpSynthesizer(options).synthesize('您好', line);
    await expect(speaking).rejects.toThrow(SynthesisError);
    await expect(speaking).rejects.toThrow(/answered audio\/mpeg: not a WAV file/);
  });
});
