/**
 * SMS through a generic JSON gateway, the shape domestic SMS platforms expose (and the one to adapt a
 * platform to): inbound messages and delivery reports are JSON posts signed with
 * `X-Sms-Signature: hex(HMAC-SHA256(secret, timestamp + "." + body))` and `X-Sms-Timestamp` (Unix seconds,
 * five minutes of skew allowed, so a captured request cannot be replayed later); sends are JSON posts to
 * `<base>/messages` with a bearer key and the reply's id as `Idempotency-Key`.
 */
import { createHmac } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ConversationBroker } from '../../assistant/broker.js';
import type { StoredActivity } from '../../core/activity.js';
import { AppError } from '../../core/errors.js';
import { sameSecret } from '../../core/same-secret.js';
import type { OptOuts } from '../../core/opt-outs.js';
import { retryableStatus, SendError, type ChannelSender, type OutboundDelivery } from '../delivery.js';
import { keyedLimit, limitPerClientAddress, storableText } from '../inbound-guards.js';
import { receiveSms, SMS_CHANNEL, smsRecipient } from './common.js';
import { smsText } from './twilio.js';

export interface SmsGatewaySettings {
  /** The gateway's API base, e.g. `https://sms.example.cn/v1`. */
  baseUrl: string;
  apiKey: string;
  /** Signs webhooks both ways. */
  secret: string;
  from: string;
}

const MAX_SKEW_S = 300;

export function gatewaySignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The headers a gateway sends its JSON webhook with, signing `body` now (or at `timestamp`, in seconds). */
export function gatewayHeaders(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  return {
    'content-type': 'application/json',
    'x-sms-timestamp': String(timestamp),
    'x-sms-signature': gatewaySignature(secret, String(timestamp), body),
  };
}

export class JsonGatewaySmsSender implements ChannelSender {
  readonly channelId = SMS_CHANNEL;

  constructor(
    private readonly settings: SmsGatewaySettings,
    private readonly optOuts: OptOuts,
  ) {}

  async send(activity: StoredActivity): Promise<{ providerMessageId: string } | 'suppressed'> {
    const to = await smsRecipient(activity, this.optOuts);
    if (to === 'suppressed') return to;
    let response: Response;
    try {
      response = await fetch(`${this.settings.baseUrl}/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.settings.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': activity.id,
        },
        body: JSON.stringify({ to, from: this.settings.from, text: smsText(activity.text ?? '') }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new SendError(`SMS gateway unreachable: ${(error as Error).message}`, true);
    }
    const body = (await response.json().catch(() => ({}))) as { id?: string; error?: string };
    if (!response.ok || !body.id) {
      throw new SendError(
        `SMS gateway answered ${response.status}: ${body.error ?? response.statusText}`,
        retryableStatus(response.status),
        response.status,
      );
    }
    return { providerMessageId: body.id };
  }
}

export interface JsonGatewayRoutesOptions {
  broker: ConversationBroker;
  settings: SmsGatewaySettings;
  optOuts: OptOuts;
  delivery: OutboundDelivery;
  /** Messages one phone number may send per minute (429 beyond; see receiveSms). */
  messagesPerMinute: number;
  /** Requests one client address may make per minute to these webhooks (429 beyond). */
  ipPerMinute: number;
}

/**
 * Body limit of the gateway's webhooks: an inbound SMS is at most a few hundred characters (a long
 * message's parts joined), 16 KB leaves room for its JSON (even written as \u escapes) and metadata.
 */
export const GATEWAY_BODY_LIMIT = 16 * 1024;

export const jsonGatewayRoutes: FastifyPluginAsync<JsonGatewayRoutesOptions> = async (app, options) => {
  limitPerClientAddress(app, 'sms-gateway', options.ipPerMinute);
  const perCitizen = keyedLimit(app, options.messagesPerMinute);
  // JSON only (415 otherwise). The signature is over the exact bytes, so the body is kept as text and
  // parsed only once it is verified: an unsigned request is refused (403) whatever it contains.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, raw, done) => done(null, raw));

  const verify = (request: FastifyRequest): Record<string, unknown> => {
    const raw = request.body;
    const signature = request.headers['x-sms-signature'];
    const timestamp = request.headers['x-sms-timestamp'];
    if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof raw !== 'string') {
      throw new AppError('E_FORBIDDEN', 'Missing X-Sms-Signature or X-Sms-Timestamp');
    }
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > MAX_SKEW_S) {
      throw new AppError('E_FORBIDDEN', 'X-Sms-Timestamp is too far from now');
    }
    if (!sameSecret(signature, gatewaySignature(options.settings.secret, timestamp, raw))) {
      throw new AppError('E_FORBIDDEN', 'Invalid X-Sms-Signature');
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new AppError('E_MALFORMED_JSON', 'The body is not valid JSON');
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      throw new AppError('E_VALIDATION', 'Expected a JSON object');
    }
    return json as Record<string, unknown>;
  };
  const text = (value: unknown) => (typeof value === 'string' ? storableText(value) : '');

  app.post('/sms/gateway', { schema: { hide: true }, bodyLimit: GATEWAY_BODY_LIMIT }, async (request, reply) => {
    const body = verify(request);
    const outcome = await receiveSms(
      options.broker,
      options.optOuts,
      {
        from: text(body.from),
        to: text(body.to) || options.settings.from,
        text: text(body.text),
        messageId: text(body.messageId),
      },
      (from) => perCitizen(request, reply, `citizen:sms:${from}`),
    );
    // The gateway sends a keyword's confirmation itself when the response carries one.
    return outcome.kind === 'stored' ? { ok: true } : { ok: true, reply: outcome.confirmation };
  });

  app.post('/sms/gateway/status', { schema: { hide: true }, bodyLimit: GATEWAY_BODY_LIMIT }, async (request, reply) => {
    const body = verify(request);
    const id = text(body.messageId);
    const status = text(body.status);
    if (id && status === 'delivered') await options.delivery.recordStatus(id, 'delivered');
    if (id && status === 'failed') await options.delivery.recordStatus(id, 'failed', text(body.error) || 'failed');
    return reply.code(204).send();
  });
};
