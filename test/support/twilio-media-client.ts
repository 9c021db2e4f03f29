/**
 * Plays Twilio's side of a voice call against the gateway: the signed incoming-call webhook, then the
 * Media Streams WebSocket its TwiML names, with Twilio's messages (connected, start, media, dtmf, mark,
 * stop). Audio is sent in 20 ms mu-law frames, in real time or as fast as the socket takes it; the bot's
 * marks are echoed once its audio has "played" (at once, or after its duration in real time).
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import WebSocket from 'ws';
import type { Gateway } from '../../api/gateway.js';
import { decodeMulaw, encodeMulaw } from '../../channels/voice/audio.js';
import { eventually } from './gateway.js';

export const TEST_TWILIO = {
  accountSid: `AC${'0'.repeat(32)}`,
  authToken: 'voice-test-auth-token',
  callerId: '+8657112345',
};

/** A gateway's voice over Twilio: the account, the hotline's number. Add WHISPER_MODEL (a fake's stand-in path or a model). */
export const TWILIO_VOICE_ENV = {
  TWILIO_ACCOUNT_SID: TEST_TWILIO.accountSid,
  TWILIO_AUTH_TOKEN: TEST_TWILIO.authToken,
  VOICE_CALLER_ID: TEST_TWILIO.callerId,
};

/** The call's record once it is closed. */
export const endedCall = (gateway: Pick<Gateway, 'calls'>, callId: string, timeoutMs?: number) =>
  eventually(
    async () => {
      const record = await gateway.calls.get(callId);
      return record?.endedAt ? record : undefined;
    },
    timeoutMs,
    `call ${callId} to end`,
  );

const FRAME = 160;

export interface MediaClientOptions {
  callSid?: string;
  from?: string;
  /** Echo marks after the audio's duration (as a phone would play it) instead of at once. */
  realTimePlayback?: boolean;
  /** Do not echo marks at all: the bot's audio is "still playing" (barge-in tests). */
  holdMarks?: boolean;
}

export class TwilioMediaClient {
  readonly callSid: string;
  readonly streamSid = `MZ${randomBytes(16).toString('hex')}`;
  /** Bot audio received, as PCM. */
  received: Int16Array[] = [];
  receivedBytes = 0;
  marks: string[] = [];
  /** Replies heard to the end (their last part's mark came back): the bot names marks `<reply>.<part>/<parts>`. */
  completed = 0;
  clears = 0;
  closed?: { code: number; reason: string };
  private chunk = 0;
  private unplayedBytes = 0;
  private playbackEnd = 0;
  private readonly closedPromise: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly socket: WebSocket,
    private readonly options: MediaClientOptions,
    callSid: string,
  ) {
    this.callSid = callSid;
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
      });
    });
    socket.on('message', (data) => this.onMessage(JSON.parse(data.toString()) as Record<string, unknown>));
  }

  /** Calls the incoming webhook (signed) and opens the stream it answers with; sends connected + start. */
  static async call(
    gatewayUrl: string,
    options: MediaClientOptions & { mediaFormat?: object; token?: string } = {},
  ): Promise<TwilioMediaClient> {
    const callSid = options.callSid ?? `CA${randomBytes(16).toString('hex')}`;
    const params = { CallSid: callSid, From: options.from ?? '+8613800138000', To: TEST_TWILIO.callerId };
    const url = `${gatewayUrl}/voice/twilio/incoming`;
    const signature = twilio.getExpectedTwilioSignature(TEST_TWILIO.authToken, url, params);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params),
    });
    if (!response.ok) throw new Error(`incoming webhook answered ${response.status}`);
    const twiml = await response.text();
    const streamUrl = /<Stream url="([^"]+)"/.exec(twiml)?.[1];
    const parameters = Object.fromEntries(
      [...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    if (!streamUrl) throw new Error(`no <Stream> in ${twiml}`);
    const socket = new WebSocket(streamUrl.replace(/&amp;/g, '&'));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const client = new TwilioMediaClient(socket, options, callSid);
    client.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    client.send({
      event: 'start',
      sequenceNumber: '1',
      streamSid: client.streamSid,
      start: {
        streamSid: client.streamSid,
        accountSid: TEST_TWILIO.accountSid,
        callSid,
        tracks: ['inbound'],
        customParameters: { ...parameters, ...(options.token !== undefined ? { token: options.token } : {}) },
        mediaFormat: options.mediaFormat ?? { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    return client;
  }

  send(message: object): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** Sends 8 kHz PCM as 20 ms media messages; `realTime` paces them on the wall clock (drift-free). */
  async sendAudio(pcm: Int16Array, { realTime = false } = {}): Promise<void> {
    const started = performance.now();
    for (let i = 0, n = 0; i < pcm.length; i += FRAME, n++) {
      const frame = new Int16Array(FRAME);
      frame.set(pcm.subarray(i, i + FRAME));
      this.sendFrame(frame);
      if (realTime) {
        const due = started + (n + 1) * 20;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      } else if (n % 50 === 49) {
        // Let the gateway's replies in between seconds of audio, as a network would.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.closed) return;
    }
  }

  sendFrame(frame: Int16Array, chunk = ++this.chunk): void {
    const payload = Buffer.from(encodeMulaw(frame)).toString('base64');
    this.send({
      event: 'media',
      sequenceNumber: String(chunk + 1),
      streamSid: this.streamSid,
      media: { track: 'inbound', chunk: String(chunk), timestamp: String(chunk * 20), payload },
    });
  }

  dtmf(digit: string): void {
    this.send({
      event: 'dtmf',
      streamSid: this.streamSid,
      sequenceNumber: '0',
      dtmf: { track: 'inbound_track', digit },
    });
  }

  stop(): void {
    this.send({
      event: 'stop',
      streamSid: this.streamSid,
      stop: { accountSid: TEST_TWILIO.accountSid, callSid: this.callSid },
    });
  }

  /** Resolves when the gateway has closed the stream. */
  whenClosed(): Promise<{ code: number; reason: string }> {
    return this.closedPromise;
  }

  private onMessage(message: Record<string, unknown>): void {
    if (message.event === 'media') {
      const bytes = Buffer.from((message.media as { payload: string }).payload, 'base64');
      this.receivedBytes += bytes.length;
      this.unplayedBytes += bytes.length;
      this.received.push(decodeMulaw(bytes));
    } else if (message.event === 'mark') {
      const name = (message.mark as { name: string }).name;
      this.marks.push(name);
      if (this.options.holdMarks) return;
      const echo = () => {
        this.send({ event: 'mark', streamSid: this.streamSid, mark: { name } });
        if (/\.(\d+)\/\1$/.test(name)) this.completed++;
      };
      // Played back to back: this mark is reached when everything sent before it has played.
      const playedAt = (this.playbackEnd = Math.max(this.playbackEnd, performance.now()) + this.unplayedBytes / 8);
      this.unplayedBytes = 0;
      if (this.options.realTimePlayback) setTimeout(echo, playedAt - performance.now());
      else echo();
    } else if (message.event === 'clear') {
      this.clears++;
      this.unplayedBytes = 0;
      this.playbackEnd = performance.now();
    }
  }
}

/** A tone burst that the endpointer takes for speech: `ms` of 300 Hz at about -12 dBFS. */
export function toneBurst(ms: number, rate = 8000): Int16Array {
  const pcm = new Int16Array((rate * ms) / 1000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / rate));
  return pcm;
}

export const silence = (ms: number, rate = 8000): Int16Array => new Int16Array((rate * ms) / 1000);
