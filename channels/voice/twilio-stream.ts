/**
 * Twilio voice: the incoming-call webhook answers with TwiML that connects the call to a bidirectional
 * Media Stream (`<Connect><Stream>`), and the stream's WebSocket carries the call's audio both ways.
 *
 * Stream protocol (https://www.twilio.com/docs/voice/media-streams/websocket-messages): Twilio sends
 * `connected`, `start` (callSid, mediaFormat, customParameters), `media` (base64 mu-law 8 kHz, numbered
 * chunks), `dtmf`, `mark` (echo of ours, once played) and `stop`; we send `media`, `mark` and `clear`.
 * The stream is admitted only with the token the webhook put in its TwiML (an HMAC of the CallSid), so
 * only calls that came through the signed webhook reach the bot.
 */
import { createHmac } from 'node:crypto';
import formBody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import twilio from 'twilio';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import { sameSecret } from '../../core/same-secret.js';
import { limitPerClientAddress } from '../inbound-guards.js';
import { verifiedTwilioForm } from '../twilio-signature.js';
import { decodeMulaw, encodeMulaw, TELEPHONY_RATE } from './audio.js';
import { atCapacity, CallSession, type CallTransport, type VoiceServices } from './call.js';
import { voicePrompts } from './prompts.js';

export interface TwilioVoiceOptions {
  services: VoiceServices;
  authToken: string;
  /** Signs stream tokens. */
  streamSecret: string;
  /** The gateway's public origin (what Twilio called); unset: the request's own. */
  publicUrl?: string;
  /** Requests one client address may make per minute to the webhook and the stream (429 beyond; unset: none). */
  ipPerMinute?: number;
}

/** Twilio's call webhook is a small form (call and caller details): 32 KB, as for its SMS webhook. */
const VOICE_FORM_BODY_LIMIT = 32 * 1024;

/** Protocol errors (unparseable or out-of-place messages) a stream may send before it is dropped. */
const MAX_PROTOCOL_ERRORS = 20;
/** A stream that sends nothing for this long (wall clock) has lost its call. Twilio sends 50 frames a second. */
const STALL_MS = 15_000;
/** Bot audio goes out in messages of this many bytes (1 s of mu-law). */
const SEND_CHUNK = 8000;
/** Largest media payload accepted (2 s of mu-law); Twilio sends 20 ms. */
const MAX_PAYLOAD_BYTES = 16_000;
/** A stream must name its call (`start`) this soon after it opens. */
const START_MS = 10_000;
/** Chunks missing from the sequence are filled with silence, up to this many (keeps the audio clock true). */
const MAX_GAP_FILL = 50;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const Start = z.object({
  event: z.literal('start'),
  start: z.object({
    streamSid: z.string().min(1).max(64),
    callSid: z.string().min(1).max(64),
    customParameters: z.record(z.string(), z.string()).optional(),
    mediaFormat: z.object({ encoding: z.string(), sampleRate: z.number(), channels: z.number() }),
  }),
});
const Media = z.object({
  event: z.literal('media'),
  media: z.object({
    track: z.string().optional(),
    chunk: z.coerce.number().int().nonnegative(),
    payload: z.string().max(Math.ceil(MAX_PAYLOAD_BYTES / 3) * 4),
  }),
});
const Dtmf = z.object({ event: z.literal('dtmf'), dtmf: z.object({ digit: z.string().max(1) }) });
const Mark = z.object({ event: z.literal('mark'), mark: z.object({ name: z.string().max(64) }) });

/** The token a stream for this call must present: only the webhook, which Twilio signed, hands it out. */
export const streamToken = (secret: string, callSid: string): string =>
  createHmac('sha256', secret).update(`twilio-stream:${callSid}`).digest('base64url');

/** A caller number worth keeping: E.164 or a plain number; anything else (anonymous, garbage) is dropped. */
const callerNumber = (value: unknown) =>
  typeof value === 'string' && /^\+?[0-9]{3,15}$/.test(value) ? value : undefined;

export const twilioVoiceRoutes: FastifyPluginAsync<TwilioVoiceOptions> = async (app, options) => {
  if (options.ipPerMinute) limitPerClientAddress(app, 'voice', options.ipPerMinute);
  // Twilio posts forms only: anything else is refused (415) before its signature is looked at.
  app.removeAllContentTypeParsers();
  await app.register(formBody);

  app.post(
    '/voice/twilio/incoming',
    { schema: { hide: true }, bodyLimit: VOICE_FORM_BODY_LIMIT },
    async (request, reply) => {
      const form = verifiedTwilioForm(request, options.authToken, options.publicUrl);
      // A repeated parameter arrives as a list, which is no call id.
      const callSid = typeof form.CallSid === 'string' ? form.CallSid : '';
      if (!/^[A-Za-z0-9]{1,64}$/.test(callSid)) throw new AppError('E_VALIDATION', 'CallSid is required');
      const origin = options.publicUrl ?? `${request.protocol}://${request.host}`;
      const response = new twilio.twiml.VoiceResponse();
      if (atCapacity(options.services, 'twilio')) {
        // The caller is not turned away but waits for an agent (Twilio's own TTS).
        response.say({ language: 'zh-CN' }, voicePrompts('zh-CN').busy);
        response.enqueue(options.services.settings.agentQueue);
        reply.type('text/xml');
        return response.toString();
      }
      const stream = response.connect().stream({ url: `${origin.replace(/^http/, 'ws')}/voice/twilio/stream` });
      stream.parameter({ name: 'token', value: streamToken(options.streamSecret, callSid) });
      const caller = callerNumber(form.From);
      if (caller) stream.parameter({ name: 'caller', value: caller });
      reply.type('text/xml');
      return response.toString();
    },
  );

  app.get('/voice/twilio/stream', { websocket: true, schema: { hide: true } }, (socket) => {
    handleStream(socket, options);
  });
};

function handleStream(socket: WebSocket, options: TwilioVoiceOptions): void {
  const log = options.services.logger.child({ channel: 'voice', transport: 'twilio' });
  let session: CallSession | undefined;
  let streamSid = '';
  let lastChunk = -1;
  let errors = 0;
  let lastMessageAt = performance.now();
  const openedAt = performance.now();

  const transport: CallTransport = {
    kind: 'twilio',
    play(pcm, mark) {
      const bytes = encodeMulaw(pcm);
      for (let i = 0; i < bytes.length; i += SEND_CHUNK) {
        const payload = Buffer.from(bytes.subarray(i, i + SEND_CHUNK)).toString('base64');
        send({ event: 'media', streamSid, media: { payload } });
      }
      send({ event: 'mark', streamSid, mark: { name: mark } });
    },
    clear: () => send({ event: 'clear', streamSid }),
    close(reason) {
      if (socket.readyState === socket.OPEN) socket.close(1000, reason.slice(0, 100));
    },
  };
  const send = (message: object) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const protocolError = (what: string) => {
    errors++;
    log.debug({ what, errors }, 'media stream protocol error');
    if (errors < MAX_PROTOCOL_ERRORS) return;
    log.warn({ errors }, 'media stream sent too many bad messages; closing it');
    if (session) void session.end('protocol-error');
    else socket.close(1008, 'protocol error');
  };

  const stall = setInterval(() => {
    const now = performance.now();
    if (!session && now - openedAt > START_MS) {
      log.warn('media stream never started; closing it');
      socket.close(1008, 'no start');
    } else if (now - lastMessageAt > STALL_MS) {
      log.warn('media stream stalled; ending the call');
      if (session) void session.end('stream-stalled');
      else socket.close(1001, 'stalled');
    }
  }, 1000).unref();

  socket.on('close', () => {
    clearInterval(stall);
    void session?.end('stream-closed');
  });

  socket.on('message', (data, isBinary) => {
    lastMessageAt = performance.now();
    if (isBinary) return protocolError('binary frame');
    let message: { event?: unknown };
    try {
      message = JSON.parse(data.toString()) as { event?: unknown };
    } catch {
      return protocolError('not JSON');
    }
    switch (message.event) {
      case 'connected':
        return;
      case 'start': {
        if (session) return protocolError('second start');
        const parsed = Start.safeParse(message);
        if (!parsed.success) return protocolError('bad start');
        const { start } = parsed.data;
        const token = start.customParameters?.token ?? '';
        if (!sameSecret(token, streamToken(options.streamSecret, start.callSid))) {
          log.warn({ callSid: start.callSid }, 'media stream without a valid token refused');
          socket.close(1008, 'invalid stream token');
          return;
        }
        streamSid = start.streamSid;
        session = new CallSession(options.services, transport, {
          callId: start.callSid,
          caller: callerNumber(start.customParameters?.caller),
        });
        const { encoding, sampleRate, channels } = start.mediaFormat;
        if (encoding !== 'audio/x-mulaw' || sampleRate !== TELEPHONY_RATE || channels !== 1) {
          log.warn({ encoding, sampleRate, channels }, 'media stream in an unsupported format');
          void session.end('unsupported-media-format');
        }
        return;
      }
      case 'media': {
        if (!session) return protocolError('media before start');
        const parsed = Media.safeParse(message);
        if (!parsed.success || !BASE64.test(parsed.data.media.payload)) return protocolError('bad media');
        const { chunk, payload, track } = parsed.data.media;
        if (track && track !== 'inbound') return;
        // Chunks are numbered from 1; a late or repeated one is dropped, a gap is filled with silence.
        if (chunk <= lastChunk) return protocolError('chunk out of order');
        const bytes = Buffer.from(payload, 'base64');
        if (lastChunk >= 0 && chunk > lastChunk + 1) {
          const missing = Math.min(chunk - lastChunk - 1, MAX_GAP_FILL);
          session.audio(new Int16Array(missing * bytes.length));
        }
        lastChunk = chunk;
        if (bytes.length > 0) session.audio(decodeMulaw(bytes));
        return;
      }
      case 'dtmf': {
        const parsed = Dtmf.safeParse(message);
        if (!session || !parsed.success) return protocolError('bad dtmf');
        session.dtmf(parsed.data.dtmf.digit);
        return;
      }
      case 'mark': {
        const parsed = Mark.safeParse(message);
        if (!session || !parsed.success) return protocolError('bad mark');
        session.played(parsed.data.mark.name);
        return;
      }
      case 'stop':
        if (session) void session.end('caller-hung-up');
        else socket.close(1000, 'stopped');
        return;
      default:
        return protocolError('unknown event');
    }
  });
}
