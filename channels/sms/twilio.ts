/**
 * SMS through a Twilio-compatible provider: a form-encoded inbound webhook signed with
 * `X-Twilio-Signature` (checked with the `twilio` package's own code, over the public URL when the
 * gateway is behind a proxy), status callbacks, and replies sent through the provider's Messages API by
 * the delivery queue (channels/delivery.ts). The citizen is known by phone number: their messages within
 * a day continue one conversation. Opt-out keywords (退订, STOP…) are honoured: later replies to that
 * number are suppressed until the citizen opts in again (开通, START).
 */
import formBody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ConversationBroker } from '../../assistant/broker.js';
import type { StoredActivity } from '../../core/activity.js';
import { keyedLimit, limitPerClientAddress, storableText } from '../inbound-guards.js';
import { verifiedTwilioForm } from '../twilio-signature.js';
import { receiveSms, SMS_CHANNEL, smsRecipient } from './common.js';
import type { OptOuts } from '../../core/opt-outs.js';
import { retryableStatus, SendError, type ChannelSender, type OutboundDelivery } from '../delivery.js';

export interface SmsSettings {
  accountSid: string;
  authToken: string;
  /** The number (or sender id) replies come from. */
  from: string;
  /** The Messages API's origin, e.g. `https://api.twilio.com` or a compatible gateway's. */
  apiBaseUrl: string;
}

/** TwiML documents are tiny; text is escaped for XML. */
const twiml = (message?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response>${
    message ? `<Message>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</Message>` : ''
  }</Response>`;

/** GSM-7 text takes 160 characters a segment (153 when split); anything else, such as Chinese, 70 (67). */
export function smsSegments(text: string): number {
  const gsm = /^[\x20-\x7e\n\r]*$/.test(text);
  const length = [...text].length;
  const [single, part] = gsm ? [160, 153] : [70, 67];
  return length <= single ? 1 : Math.ceil(length / part);
}

/** At most this many segments a reply; a longer one ends at a sentence within the limit. */
export const MAX_SEGMENTS = 5;

/** The reply as sent: cut at the last sentence end that fits MAX_SEGMENTS, with a pointer to more. */
export function smsText(text: string, more = '…详询12345'): string {
  if (smsSegments(text) <= MAX_SEGMENTS) return text;
  const chars = [...text];
  const budget = MAX_SEGMENTS * 67 - [...more].length;
  const head = chars.slice(0, budget).join('');
  const cut = Math.max(head.lastIndexOf('。'), head.lastIndexOf('；'), head.lastIndexOf('！'), head.lastIndexOf('？'));
  return (cut > budget / 2 ? head.slice(0, cut + 1) : head) + more;
}

export class TwilioSmsSender implements ChannelSender {
  readonly channelId = SMS_CHANNEL;

  constructor(
    private readonly settings: SmsSettings,
    private readonly optOuts: OptOuts,
    /** Where the provider posts status callbacks (needs the gateway's public URL). */
    private readonly statusCallbackUrl: string | undefined,
  ) {}

  async send(activity: StoredActivity): Promise<{ providerMessageId: string } | 'suppressed'> {
    const to = await smsRecipient(activity, this.optOuts);
    if (to === 'suppressed') return to;
    const form = new URLSearchParams({ To: to, From: this.settings.from, Body: smsText(activity.text ?? '') });
    if (this.statusCallbackUrl) form.set('StatusCallback', this.statusCallbackUrl);
    const { accountSid, authToken, apiBaseUrl } = this.settings;
    let response: Response;
    try {
      response = await fetch(`${apiBaseUrl}/2010-04-01/Accounts/${accountSid}/Messages.json`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          // The same reply sent twice (a retry after a lost response) is one message at the provider.
          'I-Twilio-Idempotency-Token': activity.id,
        },
        body: form,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new SendError(`SMS provider unreachable: ${(error as Error).message}`, true);
    }
    const body = (await response.json().catch(() => ({}))) as { sid?: string; message?: string; code?: number };
    if (!response.ok || !body.sid) {
      const detail = body.message ?? response.statusText;
      throw new SendError(
        `SMS provider answered ${response.status}${body.code ? ` (${body.code})` : ''}: ${detail}`,
        retryableStatus(response.status),
        response.status,
      );
    }
    return { providerMessageId: body.sid };
  }
}

/** A form field that appeared once; undefined when absent or repeated. */
const one = (value: unknown): string | undefined => (typeof value === 'string' ? storableText(value) : undefined);

interface InboundForm {
  From?: string;
  To?: string;
  Body?: string;
  MessageSid?: string;
  SmsSid?: string;
  MessageStatus?: string;
  ErrorCode?: string;
}

export interface SmsRoutesOptions {
  broker: ConversationBroker;
  settings: SmsSettings;
  optOuts: OptOuts;
  delivery: OutboundDelivery;
  /** The gateway's public origin: the URL the provider signed. Unset: the request's own. */
  publicUrl?: string;
  /** Messages one phone number may send per minute (429 beyond; see receiveSms). */
  messagesPerMinute: number;
  /** Requests one client address may make per minute to these webhooks (429 beyond). */
  ipPerMinute: number;
}

/**
 * Body limit of the Twilio webhooks. A message body is at most 1,600 characters, and form encoding
 * writes a Chinese character in 9 bytes (%E6%8A%95): 14.4 KB, with Twilio's other parameters (numbers,
 * geography, up to ten media URLs) beside it. 32 KB leaves room and refuses anything else early.
 */
export const TWILIO_FORM_BODY_LIMIT = 32 * 1024;

export const smsRoutes: FastifyPluginAsync<SmsRoutesOptions> = async (app, options) => {
  limitPerClientAddress(app, 'sms', options.ipPerMinute);
  const perCitizen = keyedLimit(app, options.messagesPerMinute);
  // Twilio posts forms only: anything else is refused (415) before its signature is looked at.
  app.removeAllContentTypeParsers();
  await app.register(formBody);

  const verify = (request: FastifyRequest): InboundForm =>
    verifiedTwilioForm(request, options.settings.authToken, options.publicUrl);

  app.post('/sms/twilio', { schema: { hide: true }, bodyLimit: TWILIO_FORM_BODY_LIMIT }, async (request, reply) => {
    const form = verify(request);
    // Stored (once per MessageSid) before the provider gets its 200; the reply goes out by the API.
    const outcome = await receiveSms(
      options.broker,
      options.optOuts,
      {
        from: form.From ?? '',
        to: form.To ?? options.settings.from,
        text: form.Body ?? '',
        messageId: form.MessageSid ?? form.SmsSid ?? '',
      },
      (from) => perCitizen(request, reply, `citizen:sms:${from}`),
    );
    reply.type('text/xml');
    return twiml(outcome.kind === 'stored' ? undefined : outcome.confirmation);
  });

  app.post(
    '/sms/twilio/status',
    { schema: { hide: true }, bodyLimit: TWILIO_FORM_BODY_LIMIT },
    async (request, reply) => {
      const form = verify(request);
      // A repeated parameter arrives as a list: no status to record.
      const sid = one(form.MessageSid) ?? one(form.SmsSid);
      const status = one(form.MessageStatus);
      const code = one(form.ErrorCode);
      if (sid && status === 'delivered') await options.delivery.recordStatus(sid, 'delivered');
      if (sid && (status === 'failed' || status === 'undelivered')) {
        await options.delivery.recordStatus(sid, 'failed', `provider status ${status}${code ? ` (${code})` : ''}`);
      }
      return reply.code(204).send();
    },
  );
};
