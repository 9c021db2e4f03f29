/**
 * The WeChat official account (公众号) channel: URL verification, inbound XML in plaintext and safe (AES)
 * mode, a passive reply in the HTTP response when the turn is ready in time, otherwise `success` and the
 * customer-service message API through the delivery queue (channels/delivery.ts), with one access token
 * shared by all instances (core/shared-token.ts). XML is parsed with entity processing off, and a
 * document type declaration is refused outright (no entity expansion, no external entities).
 */
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import { XMLParser } from 'fast-xml-parser';
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ConversationBroker } from '../../assistant/broker.js';
import { messagesFor } from '../../assistant/messages.js';
import { awaitsTranscript, seqOfActivityId, type Activity, type StoredActivity } from '../../core/activity.js';
import type { Config } from '../../core/config.js';
import { AppError } from '../../core/errors.js';
import { sameSecret } from '../../core/same-secret.js';
import type { OptOuts } from '../../core/opt-outs.js';
import type { SharedToken } from '../../core/shared-token.js';
import { retryableStatus, SendError, type ChannelSender, type OutboundDelivery } from '../delivery.js';
import type { WechatMediaFetcher } from './media.js';
import { TOKEN_REJECTED } from './api-errors.js';
import { keyedLimit, limitPerClientAddress, storableText } from '../inbound-guards.js';

export const WECHAT_CHANNEL = 'wechat';

/** The account's settings (core/config.ts: token, app id and secret, AES key, API base, passive window). */
export type WechatSettings = NonNullable<Config['wechat']>;

/** The customer-service API takes 2048 bytes of text a message; a margin for the byte count. */
const MAX_TEXT_BYTES = 2000;

/** Error codes of the customer-service API (errcode). */
const RETRYABLE = new Set([-1, 45009, 45011]);
/** 43004: not following the account; 45015: outside the 48-hour window; 45047: too many replies. */
const PERMANENT = new Set([43004, 45015, 45047, 40003, 40013]);

const parser = new XMLParser({
  processEntities: false,
  ignoreDeclaration: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
});

type WechatXml = Record<string, string | undefined>;

/** Parses one `<xml>` document; refuses document type declarations (entity bombs, external entities). */
export function parseWechatXml(body: string): WechatXml {
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new AppError('E_BAD_REQUEST', 'XML with a document type is not accepted');
  let parsed: unknown;
  try {
    parsed = parser.parse(body, true);
  } catch (error) {
    throw new AppError('E_BAD_REQUEST', `Malformed XML: ${(error as Error).message}`);
  }
  const xml = (parsed as { xml?: unknown }).xml;
  if (!xml || typeof xml !== 'object' || Array.isArray(xml)) {
    throw new AppError('E_BAD_REQUEST', 'Expected one <xml> document');
  }
  // WeChat's fields are flat text: a repeated field (a list) or one with elements inside (an object) is
  // no message of WeChat's, and would read as "a,b" or "[object Object]".
  return Object.fromEntries(
    Object.entries(xml).map(([k, v]) => {
      if (v !== undefined && typeof v !== 'string') throw new AppError('E_BAD_REQUEST', `<${k}> must be text, once`);
      return [k, v === undefined ? undefined : storableText(v)];
    }),
  );
}

const cdata = (text: string) => `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;

function textReply(to: string, from: string, content: string, now = Math.floor(Date.now() / 1000)): string {
  return `<xml><ToUserName>${cdata(to)}</ToUserName><FromUserName>${cdata(from)}</FromUserName><CreateTime>${now}</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata(content)}</Content></xml>`;
}

/** Splits text into pieces of at most MAX_TEXT_BYTES, at line or sentence ends where it can. */
export function splitWechatText(text: string, maxBytes = MAX_TEXT_BYTES): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > maxBytes) {
    let end = 0;
    let cut = 0;
    for (const char of rest) {
      if (Buffer.byteLength(rest.slice(0, end + char.length)) > maxBytes) break;
      end += char.length;
      if ('\n。！？；'.includes(char)) cut = end;
    }
    const at = cut > end / 2 ? cut : end;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  if (rest) pieces.push(rest);
  return pieces;
}

export class WechatSender implements ChannelSender {
  readonly channelId = WECHAT_CHANNEL;
  readonly initialDelayMs: number;

  constructor(
    private readonly settings: WechatSettings,
    private readonly accessToken: SharedToken,
    private readonly optOuts: OptOuts,
  ) {
    // Past the passive window, with a margin: a reply the request answered with is claimed by then.
    this.initialDelayMs = settings.passiveReplyMs + 1000;
  }

  /** Fetches a new access token (used by the shared token cache; never called per message). */
  static async fetchToken(settings: WechatSettings): Promise<{ value: string; expiresInMs: number }> {
    const url = new URL('/cgi-bin/token', settings.apiBaseUrl);
    url.search = new URLSearchParams({
      grant_type: 'client_credential',
      appid: settings.appId,
      secret: settings.appSecret,
    }).toString();
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as {
      access_token?: string;
      expires_in?: number;
      errcode?: number;
      errmsg?: string;
    };
    if (!body.access_token) {
      throw new SendError(`WeChat token request failed: ${body.errcode} ${body.errmsg}`, body.errcode === -1);
    }
    return { value: body.access_token, expiresInMs: (body.expires_in ?? 7200) * 1000 };
  }

  async send(activity: StoredActivity): Promise<{ providerMessageId: string } | 'suppressed'> {
    const openId = activity.recipient?.id.replace(/^wechat:/, '');
    if (!openId) throw new SendError('no WeChat user to send to', false);
    if (await this.optOuts.isOptedOut(WECHAT_CHANNEL, openId)) return 'suppressed';
    for (const content of splitWechatText(activity.text ?? '')) await this.sendText(openId, content);
    // The API returns no message id; the activity's own id stands for it.
    return { providerMessageId: `wechat:${activity.id}` };
  }

  private async sendText(openId: string, content: string): Promise<void> {
    const token = await this.accessToken.get().catch((error: unknown) => {
      throw error instanceof SendError ? error : new SendError(`WeChat token: ${(error as Error).message}`, true);
    });
    const url = new URL('/cgi-bin/message/custom/send', this.settings.apiBaseUrl);
    url.searchParams.set('access_token', token);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ touser: openId, msgtype: 'text', text: { content } }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new SendError(`WeChat API unreachable: ${(error as Error).message}`, true);
    }
    if (!response.ok)
      throw new SendError(`WeChat API answered ${response.status}`, retryableStatus(response.status), response.status);
    const body = (await response.json()) as { errcode?: number; errmsg?: string };
    const code = body.errcode ?? 0;
    if (code === 0) return;
    if (TOKEN_REJECTED.has(code)) {
      await this.accessToken.invalidate(token);
      throw new SendError(`WeChat rejected the access token (${code})`, true);
    }
    const retryable = RETRYABLE.has(code) || !PERMANENT.has(code);
    throw new SendError(`WeChat API error ${code}: ${body.errmsg ?? ''}`, retryable);
  }
}

export interface WechatRoutesOptions {
  broker: ConversationBroker;
  settings: WechatSettings;
  optOuts: OptOuts;
  delivery: OutboundDelivery;
  /** Fetches images and voice into the media store for agents. */
  media: WechatMediaFetcher;
  /** Messages one WeChat user (openid) may send per minute (429 beyond; see the POST route). */
  messagesPerMinute: number;
  /** Requests one client address may make per minute to these routes (429 beyond). */
  ipPerMinute: number;
}

/**
 * Body limit of the message push. A text message takes at most 2,048 bytes of content; in safe mode the
 * whole message is AES-encrypted and base64-encoded (4/3) inside an envelope. 64 KB leaves ample room.
 */
export const WECHAT_BODY_LIMIT = 64 * 1024;

interface SignedQuery {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
  encrypt_type?: string;
  msg_signature?: string;
  openid?: string;
}

export const wechatRoutes: FastifyPluginAsync<WechatRoutesOptions> = async (app, options) => {
  const { settings, broker, delivery, optOuts } = options;
  limitPerClientAddress(app, 'wechat', options.ipPerMinute);
  const perCitizen = keyedLimit(app, options.messagesPerMinute);
  // WeChat posts XML only: anything else is refused (415) before it is read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  const signedPlain = (query: SignedQuery) =>
    query.signature !== undefined &&
    query.timestamp !== undefined &&
    query.nonce !== undefined &&
    sameSecret(query.signature, getSignature(settings.token, query.timestamp, query.nonce, ''));

  app.get('/wechat', { schema: { hide: true } }, async (request, reply) => {
    const query = request.query as SignedQuery;
    if (!signedPlain(query)) throw new AppError('E_FORBIDDEN', 'Invalid WeChat signature');
    return reply.type('text/plain').send(typeof query.echostr === 'string' ? query.echostr : '');
  });

  /** The message, verified and (in safe mode) decrypted, and how to wrap the reply. */
  function open(request: FastifyRequest): { message: WechatXml; wrap: (xml: string) => string } {
    const query = request.query as SignedQuery;
    const body = typeof request.body === 'string' ? request.body : '';
    if (query.encrypt_type === 'aes') {
      if (!settings.encodingAesKey) throw new AppError('E_FORBIDDEN', 'Safe mode is not configured');
      const envelope = parseWechatXml(body);
      const ciphered = envelope.Encrypt;
      if (!ciphered || !query.timestamp || !query.nonce || !query.msg_signature) {
        throw new AppError('E_FORBIDDEN', 'Missing msg_signature or Encrypt');
      }
      if (!sameSecret(query.msg_signature, getSignature(settings.token, query.timestamp, query.nonce, ciphered))) {
        throw new AppError('E_FORBIDDEN', 'Invalid WeChat msg_signature');
      }
      let plain: { message: string; id: string };
      try {
        plain = decrypt(settings.encodingAesKey, ciphered);
      } catch {
        throw new AppError('E_FORBIDDEN', 'The message does not decrypt with this account key');
      }
      if (plain.id !== settings.appId) throw new AppError('E_FORBIDDEN', 'The message is for another account');
      const wrap = (xml: string) => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const nonce = randomBytes(8).toString('hex');
        const sealed = encrypt(settings.encodingAesKey!, xml, settings.appId);
        const signature = getSignature(settings.token, timestamp, nonce, sealed);
        return `<xml><Encrypt>${cdata(sealed)}</Encrypt><MsgSignature>${cdata(signature)}</MsgSignature><TimeStamp>${timestamp}</TimeStamp><Nonce>${cdata(nonce)}</Nonce></xml>`;
      };
      return { message: parseWechatXml(plain.message), wrap };
    }
    if (!signedPlain(query)) throw new AppError('E_FORBIDDEN', 'Invalid WeChat signature');
    return { message: parseWechatXml(body), wrap: (xml) => xml };
  }

  app.post('/wechat', { schema: { hide: true }, bodyLimit: WECHAT_BODY_LIMIT }, async (request, reply) => {
    // WeChat stops waiting 5 s after it sent the request: the passive window counts from its arrival, not
    // from when the message was stored (a burst can take a second or more), and nothing is claimed past it.
    const respondBy = Date.now() - reply.elapsedTime + settings.passiveReplyMs;
    const { message, wrap } = open(request);
    const openId = message.FromUserName;
    const account = message.ToUserName ?? '';
    if (!openId) throw new AppError('E_BAD_REQUEST', 'FromUserName is required');
    const answer = (text: string) => reply.type('application/xml').send(wrap(textReply(openId, account, text)));
    const nothing = () => reply.type('text/plain').send('success');

    const type = message.MsgType;
    if (type === 'event') {
      if (message.Event === 'subscribe') {
        await optOuts.optIn(WECHAT_CHANNEL, openId);
        return answer(messagesFor('zh-CN').welcome);
      }
      if (message.Event === 'unsubscribe') await optOuts.optOut(WECHAT_CHANNEL, openId);
      return nothing();
    }
    const activity = inboundActivity(message, openId, account, options.media.transcribes);
    if (!activity) return nothing();
    // Over the per-citizen limit the message is refused before it is stored (429, not acknowledged). WeChat
    // retries a push that failed three times and then shows the user "该公众号暂时无法提供服务，请稍后再试",
    // which is the right thing to tell someone sending more than a message a second; nothing is lost that
    // was acknowledged, and the assistant does not run for a flood.
    await perCitizen(request, reply, `citizen:wechat:${openId}`);
    const {
      activity: stored,
      duplicate,
      conversationId,
    } = await broker.receiveFromCitizen({
      channelId: WECHAT_CHANNEL,
      user: { id: `wechat:${openId}` },
      activity,
      channelMessageId: message.MsgId ?? `${openId}:${message.CreateTime}:${type}`,
    });
    // WeChat retries a request it got no answer to within 5 s: the retry is acknowledged, and the reply
    // goes out through the customer-service API if the first request could not carry it.
    if (duplicate) return nothing();
    for (const [index, attachment] of (stored.attachments ?? []).entries()) {
      const mediaId = attachment.contentUrl?.startsWith('wechat-media:') ? attachment.contentUrl.slice(13) : '';
      const transcribeFor = awaitsTranscript(stored) ? { userId: `wechat:${openId}` } : undefined;
      if (mediaId) await options.media.queue({ activityId: stored.id, conversationId, mediaId, index, transcribeFor });
    }
    // The transcript is answered, later, through the customer-service API; an agent's answer is no reply to
    // this request either (the bot is silent while an agent has the conversation).
    if (awaitsTranscript(stored)) return nothing();
    if ((await broker.getConversation(conversationId))?.mode === 'agent') return nothing();
    const replies = await awaitReplies(broker, conversationId, stored, Math.max(0, respondBy - Date.now()));
    const claimed = new Set(
      await delivery.claim(
        replies.map((r) => r.id),
        respondBy,
      ),
    );
    const text = replies
      .filter((r) => claimed.has(r.id))
      .map((r) => r.text ?? '')
      .filter(Boolean)
      .join('\n\n');
    if (!text) return nothing();
    if (Buffer.byteLength(text) > MAX_TEXT_BYTES) {
      // Too long for one passive reply: release the claim so the API sends each reply in pieces.
      await delivery.release([...claimed]);
      return nothing();
    }
    return answer(text);
  });
};

/** The activity a WeChat message becomes; undefined for kinds the assistant does not take. */
function inboundActivity(
  message: WechatXml,
  openId: string,
  account: string,
  transcribes: boolean,
): Omit<Activity, 'conversation' | 'from' | 'channelId'> | undefined {
  const base = {
    type: 'message' as const,
    recipient: { id: account, name: '', role: 'bot' as const },
    locale: 'zh-CN',
    channelData: { wechat: { msgId: message.MsgId, msgType: message.MsgType, openId } },
  };
  switch (message.MsgType) {
    case 'text':
      return { ...base, text: message.Content ?? '' };
    case 'voice': {
      // WeChat's own speech recognition, when the account has it on; the voice is kept for agents either way.
      const attachments = [
        { contentType: `audio/${message.Format ?? 'amr'}`, contentUrl: `wechat-media:${message.MediaId ?? ''}` },
      ];
      const text = message.Recognition ?? '';
      // Unrecognised voice is transcribed here when speech recognition is configured; the transcript is answered.
      if (!text && transcribes)
        return { ...base, text, attachments, channelData: { ...base.channelData, awaitingTranscript: true } };
      return { ...base, text, attachments };
    }
    case 'image':
      return {
        ...base,
        text: '',
        // Fetched by its MediaId into the media store (PicUrl expires); PicUrl kept in channelData.
        attachments: [
          {
            contentType: 'image/jpeg',
            contentUrl: message.MediaId ? `wechat-media:${message.MediaId}` : (message.PicUrl ?? ''),
          },
        ],
        channelData: { wechat: { ...base.channelData.wechat, picUrl: message.PicUrl } },
      };
    case 'location':
      // The place's label reads as an address to the intake dialog (it is often what was asked for).
      return {
        ...base,
        text: message.Label ?? '',
        channelData: {
          wechat: { ...base.channelData.wechat, location: { lat: message.Location_X, lng: message.Location_Y } },
        },
      };
    default:
      return undefined;
  }
}

/** The turn's replies to `inbound`, once committed, or none when the turn takes longer than `waitMs`. */
async function awaitReplies(
  broker: ConversationBroker,
  conversationId: string,
  inbound: StoredActivity,
  waitMs: number,
): Promise<StoredActivity[]> {
  const deadline = Date.now() + waitMs;
  const repliesNow = async () =>
    (await broker.activitiesAfter(conversationId, seqOfActivityId(inbound.id))).activities.filter(
      (a) => a.replyToId === inbound.id,
    );
  let wake: (() => void) | undefined;
  const unsubscribe = broker.subscribe(conversationId, () => wake?.());
  try {
    for (;;) {
      const replies = await repliesNow();
      if (replies.length > 0) return replies;
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(left, 200));
      });
    }
  } finally {
    unsubscribe();
  }
}
