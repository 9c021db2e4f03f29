/**
 * Where a caller's utterance starts and ends, on the audio clock (samples pushed, never wall time: a test
 * streams an hour in a second, and a jittery network must not shorten a pause).
 *
 * Frame energy against a threshold, which is the higher of
 * - an absolute level (-40 dBFS by default): G.711 line noise and comfort noise sit at -60..-45 dBFS,
 *   telephone speech at -30..-10 dBFS, so this alone separates them on a normal line, and
 * - an adaptive noise floor + 10 dB, for noisy lines (a street, a fan) louder than the absolute level.
 *   The floor follows quieter frames within ~100 ms and louder unvoiced ones within ~1 s, but rises only
 *   1 dB/s while frames are voiced, so that a caller talking for the full 15 s is not absorbed as noise while
 *   steady noise above -40 dBFS is within tens of seconds.
 * A model (Silero, WebRTC's GMM) would tell speech from music or a TV; on a 12345 line the threshold is
 * enough, costs nothing and has no model file to ship.
 *
 * Every 'speech-start' is followed by exactly one 'utterance' or 'discarded' (unless resetSilence() drops
 * it), so a session can pause its prompt on speech-start and resume it on discarded.
 */

export interface EndpointerOptions {
  /** 8000 for telephony. */
  sampleRate: number;
  /** Default 20. */
  frameMs?: number;
  /** Voiced time needed to declare speech; default 120. */
  speechStartMs?: number;
  /** Trailing silence that ends an utterance; default 700. */
  endSilenceMs?: number;
  /** An utterance is cut here; default 15000. */
  maxUtteranceMs?: number;
  /** Speech shorter than this (first to last voiced frame) is discarded; default 200. */
  minUtteranceMs?: number;
  /** Audio kept before the detected start, and after the end; default 200. */
  prerollMs?: number;
  /** Frames quieter than this are never speech; default -40 dBFS. */
  speechThresholdDbfs?: number;
}

export type EndpointEvent =
  /** `atMs` is the onset (the first voiced frame), the same as the utterance's `startMs`. */
  | { type: 'speech-start'; atMs: number }
  /**
   * `audio` runs from `prerollMs` before `startMs` (never before the previous cut or reset) to `prerollMs`
   * after `endMs` (as far as heard). `endMs` is the end of the last voiced frame, or the cut for 'max-length'.
   */
  | {
      type: 'utterance';
      audio: Int16Array;
      startMs: number;
      endMs: number;
      reason: 'silence' | 'max-length' | 'end-of-stream';
    }
  /** Speech was declared but was too short to be an utterance (a cough, a knock). */
  | { type: 'discarded'; startMs: number; endMs: number };

/** A voiced frame must be this far above the noise floor. */
const NOISE_MARGIN_DB = 10;
/** In speech, frames count as voiced this much lower: soft word endings do not end an utterance. */
const HANGOVER_DB = 3;
/** A start candidate survives dips this long (the stop between two syllables). */
const START_GAP_MS = 60;
const FLOOR_INITIAL_DBFS = -60;
const FLOOR_MIN_DBFS = -90;
const FLOOR_FALL_MS = 100;
const FLOOR_RISE_MS = 1000;
const FLOOR_RISE_VOICED_DB_PER_S = 1;
const DIGITAL_SILENCE_DBFS = -100;

type State = 'idle' | 'candidate' | 'speech';

function frameDbfs(frame: Int16Array): number {
  let energy = 0;
  for (let i = 0; i < frame.length; i++) energy += frame[i]! * frame[i]!;
  if (energy === 0) return DIGITAL_SILENCE_DBFS;
  return Math.max(DIGITAL_SILENCE_DBFS, 10 * Math.log10(energy / frame.length / (32768 * 32768)));
}

/** The last `capacity` samples processed, for the pre-roll of the next utterance. */
class RecentSamples {
  private readonly buffer: Int16Array;
  private written = 0;

  constructor(capacity: number) {
    this.buffer = new Int16Array(capacity);
  }

  write(frame: Int16Array): void {
    const capacity = this.buffer.length;
    if (capacity === 0) return;
    const tail = frame.length > capacity ? frame.subarray(frame.length - capacity) : frame;
    const at = (this.written + frame.length - tail.length) % capacity;
    const first = Math.min(tail.length, capacity - at);
    this.buffer.set(tail.subarray(0, first), at);
    this.buffer.set(tail.subarray(first), 0);
    this.written += frame.length;
  }

  /** The last `count` samples written (`count` no more than the capacity). */
  last(count: number): Int16Array {
    const n = Math.min(count, this.buffer.length, this.written);
    const out = new Int16Array(n);
    const start = (((this.written - n) % this.buffer.length) + this.buffer.length) % this.buffer.length;
    const first = Math.min(n, this.buffer.length - start);
    out.set(this.buffer.subarray(start, start + first));
    out.set(this.buffer.subarray(0, n - first), first);
    return out;
  }
}

export class Endpointer {
  private readonly rate: number;
  private readonly frameSamples: number;
  private readonly startSamples: number;
  private readonly endSilenceSamples: number;
  private readonly maxSamples: number;
  private readonly minSamples: number;
  private readonly prerollSamples: number;
  private readonly startGapSamples: number;
  private readonly thresholdDbfs: number;
  private readonly partial: Int16Array;
  private partialLength = 0;
  private readonly recent: RecentSamples;
  private noiseFloorDbfs = FLOOR_INITIAL_DBFS;
  private state: State = 'idle';
  /** Samples framed and processed; `pushed` also counts the partial frame. */
  private processed = 0;
  private pushed = 0;
  private chunks: Int16Array[] = [];
  private chunksStart = 0;
  private onset = 0;
  private voicedEnd = 0;
  private voicedSamples = 0;
  private lastSpeech = 0;
  /** Audio before this sample was already handed out (or reset away): never pre-roll. */
  private boundary = 0;

  constructor(options: EndpointerOptions) {
    const { sampleRate } = options;
    if (!Number.isFinite(sampleRate) || sampleRate <= 0) throw new RangeError(`invalid sample rate ${sampleRate}`);
    this.rate = sampleRate;
    const samples = (ms: number) => Math.round((ms * sampleRate) / 1000);
    this.frameSamples = Math.max(1, samples(options.frameMs ?? 20));
    this.startSamples = samples(options.speechStartMs ?? 120);
    this.endSilenceSamples = samples(options.endSilenceMs ?? 700);
    this.maxSamples = samples(options.maxUtteranceMs ?? 15_000);
    this.minSamples = samples(options.minUtteranceMs ?? 200);
    this.prerollSamples = samples(options.prerollMs ?? 200);
    this.startGapSamples = samples(START_GAP_MS);
    this.thresholdDbfs = options.speechThresholdDbfs ?? -40;
    this.partial = new Int16Array(this.frameSamples);
    this.recent = new RecentSamples(this.prerollSamples);
  }

  /** Audio clock: ms of audio pushed so far. */
  get timeMs(): number {
    return this.ms(this.pushed);
  }

  /**
   * ms since the last voiced frame of speech (or since the stream started / reset): drives silence
   * time-outs. Bursts too short to be declared speech (clicks) do not restart it.
   */
  get silenceMs(): number {
    return this.ms(this.pushed - this.lastSpeech);
  }

  get inSpeech(): boolean {
    return this.state === 'speech';
  }

  /** Any frame length; internally framed at frameMs. Returns the events the new audio caused, in order. */
  push(pcm: Int16Array): EndpointEvent[] {
    const events: EndpointEvent[] = [];
    this.pushed += pcm.length;
    let at = 0;
    if (this.partialLength > 0) {
      at = Math.min(pcm.length, this.frameSamples - this.partialLength);
      this.partial.set(pcm.subarray(0, at), this.partialLength);
      this.partialLength += at;
      if (this.partialLength < this.frameSamples) return events;
      this.processFrame(this.partial, events);
      this.partialLength = 0;
    }
    for (; at + this.frameSamples <= pcm.length; at += this.frameSamples) {
      this.processFrame(pcm.subarray(at, at + this.frameSamples), events);
    }
    this.partial.set(pcm.subarray(at));
    this.partialLength = pcm.length - at;
    return events;
  }

  /** End of stream: the utterance in progress (if any, and long enough) ends. */
  flush(): EndpointEvent[] {
    const events: EndpointEvent[] = [];
    if (this.partialLength > 0) this.processFrame(this.partial.subarray(0, this.partialLength), events);
    this.partialLength = 0;
    if (this.state === 'speech') this.finish('end-of-stream', this.voicedEnd, events);
    this.state = 'idle';
    this.chunks = [];
    return events;
  }

  /** Forget the utterance in progress (no event) and restart the silence clock. */
  resetSilence(): void {
    this.state = 'idle';
    this.chunks = [];
    this.lastSpeech = this.pushed;
    this.boundary = this.pushed;
  }

  private ms(samples: number): number {
    return (samples * 1000) / this.rate;
  }

  private processFrame(frame: Int16Array, events: EndpointEvent[]): void {
    const start = this.processed;
    const end = start + frame.length;
    const voiced = this.classify(frame);
    if (this.state === 'idle' && voiced) {
      this.state = 'candidate';
      this.onset = start;
      this.voicedSamples = 0;
      const preroll = this.recent.last(Math.max(0, Math.min(this.prerollSamples, start - this.boundary)));
      this.chunks = [preroll];
      this.chunksStart = start - preroll.length;
    }
    this.recent.write(frame);
    this.processed = end;
    if (this.state === 'idle') return;
    this.chunks.push(frame.slice());
    if (voiced) {
      this.voicedEnd = end;
      this.voicedSamples += frame.length;
      if (this.state === 'speech') this.lastSpeech = end;
    }
    if (this.state === 'candidate') {
      if (this.voicedSamples >= this.startSamples) {
        this.state = 'speech';
        this.lastSpeech = end;
        events.push({ type: 'speech-start', atMs: this.ms(this.onset) });
      } else if (end - this.voicedEnd >= this.startGapSamples) {
        this.state = 'idle';
        this.chunks = [];
      }
    }
    if (this.state !== 'speech') return;
    if (end - this.onset >= this.maxSamples) this.finish('max-length', end, events);
    else if (end - this.voicedEnd >= this.endSilenceSamples) this.finish('silence', this.voicedEnd, events);
  }

  private classify(frame: Int16Array): boolean {
    const level = frameDbfs(frame);
    const threshold =
      Math.max(this.thresholdDbfs, this.noiseFloorDbfs + NOISE_MARGIN_DB) - (this.state === 'speech' ? HANGOVER_DB : 0);
    const voiced = level > threshold;
    const frameMs = this.ms(frame.length);
    const floor = this.noiseFloorDbfs;
    if (level < floor) this.noiseFloorDbfs += (level - floor) * (1 - Math.exp(-frameMs / FLOOR_FALL_MS));
    else if (!voiced) this.noiseFloorDbfs += (level - floor) * (1 - Math.exp(-frameMs / FLOOR_RISE_MS));
    else this.noiseFloorDbfs += Math.min(level - floor, (FLOOR_RISE_VOICED_DB_PER_S * frameMs) / 1000);
    this.noiseFloorDbfs = Math.max(FLOOR_MIN_DBFS, this.noiseFloorDbfs);
    return voiced;
  }

  /** Ends the utterance at `end` (a sample index) and goes idle. */
  private finish(reason: 'silence' | 'max-length' | 'end-of-stream', end: number, events: EndpointEvent[]): void {
    const startMs = this.ms(this.onset);
    const endMs = this.ms(end);
    this.state = 'idle';
    if (end - this.onset < this.minSamples) {
      events.push({ type: 'discarded', startMs, endMs });
    } else {
      const audioEnd = reason === 'max-length' ? end : Math.min(this.processed, end + this.prerollSamples);
      const audio = new Int16Array(audioEnd - this.chunksStart);
      let at = 0;
      for (const chunk of this.chunks) {
        if (at >= audio.length) break;
        const part = chunk.subarray(0, audio.length - at);
        audio.set(part, at);
        at += part.length;
      }
      events.push({ type: 'utterance', audio, startMs, endMs, reason });
      this.boundary = audioEnd;
    }
    this.chunks = [];
  }
}
