/**
 * The shared voice fixtures (../shared/fixtures: whisper.cpp's zero-weight test model and recorded speech)
 * and the whisper.cpp build. Fixtures live outside the repository: without them tests skip with a
 * message. Without the build (`npm run build:whisper`) they skip too, except in CI
 * (MINSHENG_REQUIRE_SERVICES=1), where they fail.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWav, resample, TELEPHONY_RATE } from '../../channels/voice/audio.js';
import { builtWhisperBinaries } from '../../channels/voice/whisper-build.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = path.resolve(ROOT, '../shared/fixtures');
export const TINY_MODEL = path.join(FIXTURES, 'whisper/for-tests-ggml-tiny.bin');
export const SPEECH = path.join(FIXTURES, 'audio/zh-espeak-16k.wav');
/** Every recording in the shared fixtures, with its language. */
export const RECORDINGS = [
  { file: path.join(FIXTURES, 'audio/zh-espeak-16k.wav'), language: 'zh' },
  { file: path.join(FIXTURES, 'audio/gongxifachai-16k.wav'), language: 'zh' },
  { file: path.join(FIXTURES, 'audio/jfk.wav'), language: 'en' },
  { file: path.join(FIXTURES, 'audio/churchill-16k.wav'), language: 'en' },
];
export const whisperBinaries = builtWhisperBinaries(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'));

/** Why the shared fixtures cannot be used here, or null. */
export function fixturesMissing(files: string[] = [TINY_MODEL, SPEECH]): string | null {
  const missing = files.filter((file) => !existsSync(file));
  if (!missing.length) return null;
  const reason = `shared fixtures absent (${missing.join(', ')})`;
  process.stderr.write(`[skip] ${reason}\n`);
  return reason;
}

/** Why whisper.cpp cannot run here, or null; in CI a missing build fails instead. */
export function whisperMissing(): string | null {
  const missing = [whisperBinaries.server, whisperBinaries.cli].filter((file) => !existsSync(file));
  if (!missing.length) return null;
  const reason = `whisper.cpp is not built (${missing.join(', ')}); run \`npm run build:whisper\``;
  if (process.env.MINSHENG_REQUIRE_SERVICES === '1') {
    throw new Error(`${reason} (MINSHENG_REQUIRE_SERVICES=1, so this fails instead of skipping)`);
  }
  process.stderr.write(`[skip] ${reason}\n`);
  return reason;
}

/** A fixture recording as a phone line carries it: 8 kHz. */
export async function telephoneAudio(file: string): Promise<Int16Array> {
  const { pcm, sampleRate } = readWav(await readFile(file));
  return resample(pcm, sampleRate, TELEPHONY_RATE);
}
