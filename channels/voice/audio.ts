/**
 * PCM plumbing for the voice channel. The phone leg speaks 8 kHz G.711 mu-law (Twilio media streams, SIP
 * trunks), Whisper listens at 16 kHz, TTS engines answer with WAV at 22.05 or 24 kHz, and recordings arrive
 * as WAV, MP3 or AMR (WeChat voice). In between everything is Int16 mono PCM.
 */
import { spawn } from 'node:child_process';
import { endianness } from 'node:os';
import alawmulaw from 'alawmulaw';
import waveResampler from 'wave-resampler';
import wavefile from 'wavefile';

// These packages ship CommonJS bundles whose named exports Node's ESM loader cannot see: default imports.
const { mulaw, alaw } = alawmulaw;

export const TELEPHONY_RATE = 8000;
export const WHISPER_RATE = 16000;

/** Recordings longer than this are refused: a voicemail or WeChat voice message is minutes, not hours. */
const MAX_RECORDING_MS = 30 * 60_000;
const FFMPEG_TIMEOUT_MS = 60_000;
/** Whatever comes in on stdin, out as raw 16 kHz mono 16-bit samples on stdout. */
const FFMPEG_ARGS = '-hide_banner -loglevel error -i pipe:0 -f s16le -ac 1 -ar 16000 pipe:1'.split(' ');
/** Kept from a tool's stderr for the error message. */
const MAX_STDERR_CHARS = 2000;

/** Empty, non-audio, truncated or unsupported input: nothing a retry can fix. */
export class AudioFormatError extends Error {
  readonly code = 'E_AUDIO_FORMAT';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AudioFormatError';
  }
}

export function decodeMulaw(bytes: Uint8Array): Int16Array {
  return mulaw.decode(bytes);
}

export function encodeMulaw(pcm: Int16Array): Uint8Array {
  return mulaw.encode(pcm);
}

/**
 * Changes the sample rate; the same array comes back when the rates are equal. Downsampling (TTS output to
 * the 8 kHz line) low-pass filters first so that nothing above the new Nyquist folds back as hiss. Both
 * directions use wave-resampler's cubic interpolation behind its Butterworth IIR low-pass: the sinc kernel
 * evaluates sin() and exp() per tap, costs 2-8x more, and after the low-pass changes the passband by under
 * 0.3 dB. The IIR has 8 stages down (aliases of 4.3 kHz at -27 dB land above the phone channel's 3.4 kHz
 * edge; 5 kHz at -84 dB) and 4 up (images of 3 kHz at -74 dB): a reply of a minute of audio must not hold
 * the event loop that paces every live call. Measurements in audio.test.ts.
 */
export function resample(pcm: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return pcm;
  for (const rate of [fromRate, toRate]) {
    if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`invalid sample rate ${rate}`);
  }
  if (pcm.length === 0) return new Int16Array(0);
  const options = { method: 'cubic', LPF: true, LPFType: 'IIR', LPFOrder: toRate < fromRate ? 8 : 4 };
  // wave-resampler filters its input in place when downsampling: hand it a copy.
  return toInt16(waveResampler.resample(Float64Array.from(pcm), fromRate, toRate, options));
}

function toInt16(samples: ArrayLike<number>): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = clampInt16(samples[i]!);
  return out;
}

/** Int16Array assignment wraps around (33000 becomes -32536, a click): clamp instead. */
function clampInt16(value: number): number {
  return value >= 32767 ? 32767 : value <= -32768 ? -32768 : Math.round(value);
}

export function durationMs(samples: number, sampleRate: number): number {
  return (samples * 1000) / sampleRate;
}

/** Fixed-size frames for a transport; full frames are views of `pcm`, the last one a zero-padded copy. */
export function splitFrames(pcm: Int16Array, samplesPerFrame: number): Int16Array[] {
  if (!Number.isInteger(samplesPerFrame) || samplesPerFrame <= 0) {
    throw new RangeError(`invalid frame size ${samplesPerFrame}`);
  }
  const frames: Int16Array[] = [];
  for (let start = 0; start + samplesPerFrame <= pcm.length; start += samplesPerFrame) {
    frames.push(pcm.subarray(start, start + samplesPerFrame));
  }
  const rest = pcm.subarray(frames.length * samplesPerFrame);
  if (rest.length > 0) {
    const padded = new Int16Array(samplesPerFrame);
    padded.set(rest);
    frames.push(padded);
  }
  return frames;
}

/** 16-bit mono PCM WAV. */
export function writeWav(pcm: Int16Array, sampleRate: number): Buffer {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  const bytes = wav.toBuffer();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

type WavEncoding = 'pcm' | 'float' | 'mulaw' | 'alaw';

interface WavLayout {
  /** Null when the format tag is one this module does not decode (ADPCM, GSM...). */
  encoding: WavEncoding | null;
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
  data: Uint8Array;
}

const FORMAT_TAGS: Record<number, WavEncoding> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'mulaw' };
const SUPPORTED_BITS: Record<WavEncoding, number[]> = { pcm: [8, 16, 24, 32], float: [32, 64], alaw: [8], mulaw: [8] };
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const LITTLE_ENDIAN = endianness() === 'LE';

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

/**
 * Walks the RIFF chunks. Our own walk rather than wavefile's parser: 8-40x faster (a long recording is
 * decoded on the event loop that also paces live calls) and it says what exactly is wrong.
 */
function parseWav(bytes: Uint8Array): WavLayout {
  if (bytes.length === 0) throw new AudioFormatError('empty audio: 0 bytes');
  if (bytes.length < 12 || ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') {
    const kind = ['RIFX', 'RF64'].includes(ascii(bytes, 0))
      ? `unsupported ${ascii(bytes, 0)} container`
      : 'no RIFF/WAVE header';
    throw new AudioFormatError(`not a WAV file (${bytes.length} bytes, ${kind})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let layout: Omit<WavLayout, 'data'> | undefined;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = ascii(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    const available = bytes.length - body;
    if (id === 'fmt ') {
      if (size < 16 || size > available) throw new AudioFormatError(`truncated WAV: fmt chunk of ${size} bytes`);
      layout = parseFmt(view, body, size);
    } else if (id === 'data') {
      if (!layout) throw new AudioFormatError('WAV data chunk before its fmt chunk');
      // Writers streaming to a pipe (espeak-ng --stdout, ffmpeg) cannot seek back to fill in the size and
      // leave a placeholder near 2^31 or 2^32: the data runs to the end of the file.
      const streamed = size >= 0x7fff0000;
      if (size > available && !streamed) {
        throw new AudioFormatError(`truncated WAV: data chunk declares ${size} bytes, ${available} present`);
      }
      const length = Math.min(size, available);
      return { ...layout, data: bytes.subarray(body, body + length - (length % layout.blockAlign)) };
    }
    at = body + size + (size & 1);
  }
  throw new AudioFormatError(`truncated WAV: no ${layout ? 'data' : 'fmt'} chunk`);
}

function parseFmt(view: DataView, at: number, size: number): Omit<WavLayout, 'data'> {
  let formatTag = view.getUint16(at, true);
  // WAVE_FORMAT_EXTENSIBLE carries the real tag as the first two bytes of its sub-format GUID.
  if (formatTag === WAVE_FORMAT_EXTENSIBLE && size >= 26) formatTag = view.getUint16(at + 24, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  const encoding = FORMAT_TAGS[formatTag] ?? null;
  const header = { encoding, formatTag, channels, sampleRate, bitsPerSample, blockAlign };
  if (channels === 0 || sampleRate === 0 || blockAlign === 0) {
    throw new AudioFormatError(`invalid WAV fmt chunk: ${JSON.stringify(header)}`);
  }
  if (
    encoding &&
    (!SUPPORTED_BITS[encoding].includes(bitsPerSample) || blockAlign !== channels * (bitsPerSample / 8))
  ) {
    throw new AudioFormatError(`unsupported WAV: ${bitsPerSample}-bit ${encoding}, block size ${blockAlign}`);
  }
  return header;
}

/** One sample at a byte offset, scaled to the int16 range. */
function sampleReader(layout: WavLayout, view: DataView): (at: number) => number {
  const { encoding, bitsPerSample } = layout;
  if (encoding === 'mulaw') return (at) => mulaw.decodeSample(view.getUint8(at));
  if (encoding === 'alaw') return (at) => alaw.decodeSample(view.getUint8(at));
  if (encoding === 'float') {
    return bitsPerSample === 32 ? (at) => view.getFloat32(at, true) * 32768 : (at) => view.getFloat64(at, true) * 32768;
  }
  switch (bitsPerSample) {
    case 8: // unsigned, silence at 128
      return (at) => (view.getUint8(at) - 128) * 256;
    case 16:
      return (at) => view.getInt16(at, true);
    case 24:
      return (at) => (view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 256;
    default:
      return (at) => view.getInt32(at, true) / 65536;
  }
}

function decodeWavSamples(layout: WavLayout): { sampleRate: number; pcm: Int16Array } {
  const { data, channels, blockAlign, sampleRate } = layout;
  const frames = data.length / blockAlign;
  if (frames === 0) throw new AudioFormatError('WAV has no samples');
  if (layout.encoding === 'pcm' && layout.bitsPerSample === 16 && channels === 1 && LITTLE_ENDIAN) {
    // The common case, copied as it is (a fresh buffer: the data may start at an odd offset).
    const pcm = new Int16Array(frames);
    new Uint8Array(pcm.buffer).set(data);
    return { sampleRate, pcm };
  }
  const read = sampleReader(layout, new DataView(data.buffer, data.byteOffset, data.byteLength));
  const bytesPerSample = blockAlign / channels;
  const pcm = new Int16Array(frames);
  for (let frame = 0, at = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++, at += bytesPerSample) sum += read(at);
    pcm[frame] = clampInt16(sum / channels);
  }
  return { sampleRate, pcm };
}

/** Mono (channels averaged) 16-bit PCM from a PCM 8/16/24/32-bit, float or G.711 WAV. */
export function readWav(bytes: Uint8Array): { sampleRate: number; pcm: Int16Array } {
  const layout = parseWav(bytes);
  if (!layout.encoding) {
    throw new AudioFormatError(`unsupported WAV encoding (format tag 0x${layout.formatTag.toString(16)})`);
  }
  return decodeWavSamples(layout);
}

export interface DecodeRecordingOptions {
  /** ffmpeg binary; default 'ffmpeg' (on PATH). */
  ffmpeg?: string;
  signal?: AbortSignal;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Longer recordings are refused; default 30 minutes. */
  maxDurationMs?: number;
}

const WAV_TYPES = new Set(['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave']);

/** A recording (voicemail WAV or MP3, WeChat AMR voice) as 16 kHz mono PCM for the transcriber. */
export async function decodeRecording(
  bytes: Uint8Array,
  contentType: string,
  options: DecodeRecordingOptions = {},
): Promise<{ pcm: Int16Array; durationMs: number }> {
  options.signal?.throwIfAborted();
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (bytes.length === 0) throw new AudioFormatError(`empty recording (${type || 'no content type'})`);
  // Content types lie both ways (WAV sent as application/octet-stream): the RIFF header decides.
  const isWav = ascii(bytes, 0) === 'RIFF' || WAV_TYPES.has(type);
  const layout = isWav ? parseWav(bytes) : null;
  let pcm: Int16Array;
  if (layout?.encoding) {
    const wav = decodeWavSamples(layout);
    pcm = resample(wav.pcm, wav.sampleRate, WHISPER_RATE);
  } else {
    if (!layout) assertLooksLikeAudio(bytes, type);
    pcm = await decodeWithFfmpeg(bytes, type, options);
  }
  const duration = durationMs(pcm.length, WHISPER_RATE);
  if (duration > (options.maxDurationMs ?? MAX_RECORDING_MS)) {
    throw new AudioFormatError(`recording of ${Math.round(duration / 1000)} s is longer than allowed`);
  }
  return { pcm, durationMs: duration };
}

/** An API's error page or JSON answer (WeChat's media API answers errors with a 200) is not a recording. */
function assertLooksLikeAudio(bytes: Uint8Array, type: string): void {
  const mediaType = /^(audio|video)\//.test(type) || ['', 'application/octet-stream', 'application/ogg'].includes(type);
  const first = String.fromCharCode(bytes[0]!);
  if (!mediaType || first === '{' || first === '<') {
    throw new AudioFormatError(`not audio: ${type || 'no content type'} starting with ${JSON.stringify(first)}`);
  }
}

async function decodeWithFfmpeg(bytes: Uint8Array, type: string, options: DecodeRecordingOptions): Promise<Int16Array> {
  const binary = options.ffmpeg ?? 'ffmpeg';
  const maxMs = options.maxDurationMs ?? MAX_RECORDING_MS;
  let run: AudioToolResult;
  try {
    run = await runAudioTool(binary, FFMPEG_ARGS, bytes, {
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? FFMPEG_TIMEOUT_MS,
      maxOutputBytes: Math.ceil((maxMs / 1000) * WHISPER_RATE * 2) + 2,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AudioFormatError(
        `decoding ${type || 'this recording'} needs ffmpeg (Debian package ffmpeg), not found as ${binary}`,
      );
    }
    throw error;
  }
  if (run.stopped === 'output-limit') throw new AudioFormatError('recording is longer than allowed');
  if (run.stopped === 'timeout') throw new AudioFormatError(`ffmpeg did not finish decoding ${type} in time`);
  if (run.exitCode !== 0) {
    throw new AudioFormatError(`ffmpeg could not decode ${type} (exit ${run.exitCode}): ${run.stderr || 'no message'}`);
  }
  // A fresh, aligned buffer: the concatenated output may start at an odd offset.
  const pcm = new Int16Array(Math.floor(run.stdout.length / 2));
  new Uint8Array(pcm.buffer).set(run.stdout.subarray(0, pcm.length * 2));
  if (pcm.length === 0) throw new AudioFormatError(`ffmpeg found no audio in ${type}: ${run.stderr || 'no message'}`);
  return pcm;
}

export interface AudioToolResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number | null;
  /** Set when the tool was killed for running too long or writing too much. */
  stopped?: 'timeout' | 'output-limit';
}

/**
 * Runs an audio tool (ffmpeg, espeak-ng) with `input` on stdin and collects stdout: an argument array and no
 * shell, so nothing in the input can become an option or a command. Rejects with the spawn error (ENOENT
 * when the tool is not installed) or, on abort, with the signal's reason; the tool is killed either way.
 */
export function runAudioTool(
  binary: string,
  args: string[],
  input: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number; maxOutputBytes: number },
): Promise<AudioToolResult> {
  const { signal, timeoutMs, maxOutputBytes } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let stopped: AudioToolResult['stopped'] | 'abort' | undefined;
    let settled = false;
    const stop = (why: NonNullable<typeof stopped>) => {
      stopped ??= why;
      child.kill('SIGKILL');
    };
    const onAbort = () => stop('abort');
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxOutputBytes) stop('output-limit');
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_CHARS) stderr += chunk.toString('utf8');
    });
    // EPIPE when the tool exits before reading all of its input; its exit status says what went wrong.
    child.stdin.on('error', () => {});
    child.on('error', (error) => settle(() => reject(error)));
    child.on('close', (exitCode) =>
      settle(() => {
        if (stopped === 'abort') return reject(signal?.reason);
        const result = { stdout: Buffer.concat(chunks), stderr: stderr.slice(0, MAX_STDERR_CHARS).trim(), exitCode };
        resolve(stopped ? { ...result, stopped } : result);
      }),
    );
    child.stdin.end(input);
  });
}
