/**
 * Speech recognition cost per utterance: whisper.cpp's server with the model loaded (what the gateway runs)
 * against the process-per-utterance CLI (model loaded on every call), same fixtures, same run. Reports the
 * real-time factor (recognition time / audio duration; below 1 keeps up with the caller) and the server's
 * start-up (spawn + model load), which the first call of a fresh gateway pays.
 *
 * The only model available here is whisper.cpp's zero-weight test model: it decodes nothing, so these numbers
 * measure the pipeline (WAV upload, mel spectrogram, the encoder on zeros, one decoder pass), not recognition
 * with real weights, which is slower per call and makes the model load a larger share of the CLI's time.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { readWav, resample } from '../channels/voice/audio.js';
import { TRANSCRIBER_SAMPLE_RATE, type Transcriber } from '../channels/voice/transcriber.js';
import { WhisperCliTranscriber } from '../channels/voice/whisper-cli.js';
import { WhisperServerTranscriber } from '../channels/voice/whisper.js';
import { FIXTURES, TINY_MODEL, whisperBinaries } from '../test/support/voice-fixtures.js';
import { summarize, table } from './stats.js';

const MODEL = TINY_MODEL;
const AUDIO = path.join(FIXTURES, 'audio');
/** Calls per fixture and transcriber (after one warm-up call on the server). */
const RUNS = 3;
const THREADS = 2;

interface Fixture {
  name: string;
  pcm: Int16Array;
  audioMs: number;
}

export async function measureTranscription(): Promise<void> {
  console.log('Speech recognition: whisper.cpp server (model loaded) vs CLI process per utterance');
  const binaries = whisperBinaries;
  const missing = [MODEL, AUDIO, binaries.server, binaries.cli].filter((file) => !existsSync(file));
  if (missing.length) {
    console.log(`skipped: not found: ${missing.join(', ')} (binaries: npm run build:whisper)\n`);
    return;
  }
  const fixtures = await loadFixtures();
  if (!fixtures.length) {
    console.log(`skipped: no *-16k.wav or jfk.wav in ${AUDIO}\n`);
    return;
  }
  console.log(
    'model: whisper.cpp zero-weight test model (decodes nothing: the numbers measure the pipeline, i.e. the\n' +
      `encoder on zeros, not real recognition); ${THREADS} threads; RTF = recognition time / audio duration (p50);\n` +
      `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs when it started\n`,
  );

  const server = new WhisperServerTranscriber({ serverBinary: binaries.server, model: MODEL, threads: THREADS });
  const cli = new WhisperCliTranscriber({ cliBinary: binaries.cli, model: MODEL, threads: THREADS });
  const rows: (string | number)[][] = [];
  try {
    const startedAt = performance.now();
    await server.start();
    const startMs = performance.now() - startedAt;
    const first = await server.transcribe(fixtures[0]!.pcm);
    console.log(
      `server start (spawn + model load): ${startMs.toFixed(0)} ms; first call: ${first.elapsedMs.toFixed(0)} ms ` +
        `(${fixtures[0]!.name}); a fresh gateway's first utterance waits for both\n`,
    );
    for (const fixture of fixtures) {
      const { served, spawned } = await timeInterleaved(server, cli, fixture);
      rows.push([
        fixture.name,
        fixture.audioMs / 1000,
        served.p50,
        served.max,
        served.p50 / fixture.audioMs,
        spawned.p50,
        spawned.max,
        spawned.p50 / fixture.audioMs,
        `${(spawned.p50 / served.p50).toFixed(1)}x`,
      ]);
    }
  } finally {
    await Promise.all([server.close(), cli.close()]);
  }
  console.log(
    table(
      [
        'fixture',
        'audio s',
        'server p50 ms',
        'server max ms',
        'server RTF',
        'CLI p50 ms',
        'CLI max ms',
        'CLI RTF',
        'CLI/server',
      ],
      rows,
    ),
  );
  console.log(
    'The CLI pays a process start, a model load and a cold first inference on every call (compare the\n' +
      "server's start and first call above); a real model (hundreds of MB to GB) makes the load seconds.\n",
  );
}

async function loadFixtures(): Promise<Fixture[]> {
  const names = (await readdir(AUDIO)).filter((name) => name.endsWith('-16k.wav') || name === 'jfk.wav').sort();
  return Promise.all(
    names.map(async (name) => {
      const { sampleRate, pcm: raw } = readWav(await readFile(path.join(AUDIO, name)));
      const pcm = sampleRate === TRANSCRIBER_SAMPLE_RATE ? raw : resample(raw, sampleRate, TRANSCRIBER_SAMPLE_RATE);
      return { name, pcm, audioMs: (pcm.length * 1000) / TRANSCRIBER_SAMPLE_RATE };
    }),
  );
}

/** Server and CLI calls alternate, so that both see the same load from whatever else runs on the machine. */
async function timeInterleaved(server: Transcriber, cli: Transcriber, fixture: Fixture) {
  const served: number[] = [];
  const spawned: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    served.push((await server.transcribe(fixture.pcm)).elapsedMs);
    spawned.push((await cli.transcribe(fixture.pcm)).elapsedMs);
  }
  return { served: summarize(served), spawned: summarize(spawned) };
}
