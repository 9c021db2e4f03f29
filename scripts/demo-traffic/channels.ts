/**
 * Demo citizens on the three text channels, each speaking the channel's own wire protocol to the gateway:
 * web chat over the Direct Line 3.0 REST API (token, conversation, post, poll with a watermark), SMS as the
 * JSON gateway's signed webhook, WeChat as the official account's signed XML. What reaches a citizen is read
 * the way the channel delivers it: web chat from the poll; SMS and WeChat once the delivery reached the local
 * provider (the reply's structured `channelData`, which an SMS cannot carry, is read from the gateway's store:
 * the demo citizen is told what the assistant asked for, as a person would read it from the text).
 */
import { randomBytes } from 'node:crypto';
import { getSignature } from '@wecom/crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.js';
import { gatewayHeaders } from '../../channels/sms/json-gateway.js';
import type { LocalSmsGateway } from './providers.js';

export const CHANNELS = ['webchat', 'sms', 'wechat'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/** A message that reached the citizen. */
export interface Seen {
  id: string;
  seq: number;
  role: 'bot' | 'agent';
  text: string;
  replyToId?: string;
  channelData: Record<string, unknown>;
  /** The buttons offered (suggested actions), by the value they send. */
  actions: string[];
}

export interface ChannelCitizen {
  readonly channel: ChannelName;
  /** Known once the conversation exists (web chat: after `open`; SMS and WeChat: after the first message). */
  readonly conversationId: string | undefined;
  open(): Promise<void>;
  /** Sends a message; resolves with the stored activity's id once the gateway acknowledged it. */
  send(text: string): Promise<string>;
  /** Messages that reached the citizen since the last poll, oldest first. */
  poll(): Promise<Seen[]>;
}

export interface ChannelContext {
  gatewayUrl: string;
  db: Kysely<Database>;
  directLineSecret: string;
  sms: { from: string; secret: string; provider: LocalSmsGateway };
  /** The account's token, its id, and how many passive replies came back in responses so far. */
  wechat: { token: string; account: string; passive: { count: number } };
}

interface WireActivity {
  id: string;
  type: string;
  text?: string;
  replyToId?: string;
  from: { id: string; role?: string };
  channelData?: Record<string, unknown>;
  suggestedActions?: { actions?: { value?: unknown }[] };
}

const seqOf = (id: string) => Number.parseInt(id.slice(id.lastIndexOf('|') + 1), 10);

function seenOf(activity: WireActivity): Seen | undefined {
  if (activity.type !== 'message' || activity.from.role === 'user') return undefined;
  return {
    id: activity.id,
    seq: seqOf(activity.id),
    role: activity.from.role === 'agent' ? 'agent' : 'bot',
    text: activity.text ?? '',
    replyToId: activity.replyToId,
    channelData: activity.channelData ?? {},
    actions: (activity.suggestedActions?.actions ?? []).map((a) => String(a.value ?? '')),
  };
}

async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${await response.text()}`);
  return response;
}

/** Web chat on Direct Line 3.0: the secret generates a token, the token opens and speaks. */
export class WebChatCitizen implements ChannelCitizen {
  readonly channel = 'webchat';
  conversationId: string | undefined;
  private token = '';
  private watermark = '';

  constructor(
    private readonly context: ChannelContext,
    private readonly user: { id: string; name: string },
  ) {}

  async open(): Promise<void> {
    const { gatewayUrl, directLineSecret } = this.context;
    const generated = await expectOk(
      await fetch(`${gatewayUrl}/v3/directline/tokens/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${directLineSecret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: this.user, locale: 'zh-CN' }),
      }),
      'tokens/generate',
    );
    const { token } = (await generated.json()) as { token: string };
    const started = await expectOk(
      await fetch(`${gatewayUrl}/v3/directline/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      }),
      'starting a conversation',
    );
    const conversation = (await started.json()) as { conversationId: string; token: string };
    this.conversationId = conversation.conversationId;
    this.token = conversation.token;
  }

  async send(text: string): Promise<string> {
    const response = await expectOk(
      await fetch(`${this.context.gatewayUrl}/v3/directline/conversations/${this.conversationId}/activities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          from: { id: this.user.id, name: this.user.name },
          text,
          locale: 'zh-CN',
          channelData: { clientActivityID: randomBytes(8).toString('hex') },
        }),
      }),
      'posting an activity',
    );
    return ((await response.json()) as { id: string }).id;
  }

  async poll(): Promise<Seen[]> {
    const query = this.watermark ? `?watermark=${this.watermark}` : '';
    const response = await expectOk(
      await fetch(`${this.context.gatewayUrl}/v3/directline/conversations/${this.conversationId}/activities${query}`, {
        headers: { authorization: `Bearer ${this.token}` },
      }),
      'polling activities',
    );
    const page = (await response.json()) as { activities: WireActivity[]; watermark: string };
    this.watermark = page.watermark;
    return page.activities.flatMap((a) => seenOf(a) ?? []);
  }
}

/**
 * What SMS and WeChat citizens share: the conversation is the gateway's (found by the message id the
 * channel stored), and a reply counts as received once its delivery went through.
 */
abstract class PushCitizen implements ChannelCitizen {
  abstract readonly channel: ChannelName;
  conversationId: string | undefined;
  private watermark = 0;

  constructor(protected readonly context: ChannelContext) {}

  async open(): Promise<void> {}

  abstract send(text: string): Promise<string>;

  /** The stored inbound for the channel's message id (the gateway stored it before acknowledging). */
  protected async storedId(channelMessageId: string): Promise<string> {
    const row = await this.context.db
      .selectFrom('activities')
      .select(['id', 'conversation_id'])
      .where('channel_id', '=', this.channel)
      .where('channel_message_id', '=', channelMessageId)
      .executeTakeFirst();
    if (!row) throw new Error(`${this.channel} message ${channelMessageId} was acknowledged but not stored`);
    this.conversationId = row.conversation_id;
    return row.id;
  }

  protected abstract reached(activityId: string): boolean;

  async poll(): Promise<Seen[]> {
    if (!this.conversationId) return [];
    const rows = await this.context.db
      .selectFrom('activities')
      .select(['id', 'seq', 'body', 'delivery_status'])
      .where('conversation_id', '=', this.conversationId)
      .where('direction', '=', 'outbound')
      .where('seq', '>', this.watermark)
      .orderBy('seq')
      .execute();
    const seen: Seen[] = [];
    for (const row of rows) {
      const body = row.body as unknown as WireActivity;
      if (body.type !== 'message') {
        this.watermark = row.seq;
        continue;
      }
      if (row.delivery_status === 'dead' || row.delivery_status === 'failed') {
        throw new Error(`${this.channel} reply ${row.id} could not be delivered (${row.delivery_status})`);
      }
      // In order: a later reply is read only after the earlier ones arrived.
      if (!(row.delivery_status === 'sent' || row.delivery_status === 'delivered') || !this.reached(row.id)) break;
      this.watermark = row.seq;
      const message = seenOf(body);
      if (message) seen.push(message);
    }
    return seen;
  }
}

/** SMS through the JSON gateway channel: a signed webhook per text, replies through the local platform. */
export class SmsCitizen extends PushCitizen {
  readonly channel = 'sms';
  private sequence = 0;

  constructor(
    context: ChannelContext,
    readonly phone: string,
  ) {
    super(context);
  }

  async send(text: string): Promise<string> {
    const { gatewayUrl, sms } = this.context;
    const messageId = `demo-in-${this.phone}-${Date.now()}-${++this.sequence}`;
    const raw = JSON.stringify({ from: this.phone, to: sms.from, text, messageId });
    await expectOk(
      await fetch(`${gatewayUrl}/sms/gateway`, {
        method: 'POST',
        headers: gatewayHeaders(sms.secret, raw),
        body: raw,
      }),
      'the SMS webhook',
    );
    return this.storedId(messageId);
  }

  protected reached(activityId: string): boolean {
    return this.context.sms.provider.has(activityId);
  }
}

/** WeChat's request signature, made by the same library the gateway checks it with. */
export const wechatSignature = (token: string, timestamp: string, nonce: string): string =>
  getSignature(token, timestamp, nonce, '');

const cdata = (text: string) => `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;

/** A follower of the official account: signed XML posts in plaintext mode. */
export class WechatCitizen extends PushCitizen {
  readonly channel = 'wechat';
  constructor(
    context: ChannelContext,
    readonly openId: string,
  ) {
    super(context);
  }

  /** Following the account first: WeChat posts a subscribe event, answered with the welcome. */
  async subscribe(): Promise<void> {
    await this.post(
      `<xml><ToUserName>${cdata(this.context.wechat.account)}</ToUserName><FromUserName>${cdata(this.openId)}</FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType>${cdata('event')}</MsgType><Event>${cdata('subscribe')}</Event></xml>`,
    );
  }

  async send(text: string): Promise<string> {
    // WeChat's MsgId is a 64-bit number.
    const msgId = String(BigInt(`0x${randomBytes(7).toString('hex')}`));
    const answer = await this.post(
      `<xml><ToUserName>${cdata(this.context.wechat.account)}</ToUserName><FromUserName>${cdata(this.openId)}</FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata(text)}</Content><MsgId>${msgId}</MsgId></xml>`,
    );
    // A passive reply: WeChat shows the XML's text to the follower.
    if (answer.includes('<Content>')) this.context.wechat.passive.count++;
    return this.storedId(msgId);
  }

  /** Posts a signed message; returns the response (a passive reply's XML, or `success`). */
  private async post(xml: string): Promise<string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(6).toString('hex');
    const query = new URLSearchParams({
      signature: wechatSignature(this.context.wechat.token, timestamp, nonce),
      timestamp,
      nonce,
      openid: this.openId,
    });
    const response = await expectOk(
      await fetch(`${this.context.gatewayUrl}/wechat?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: xml,
      }),
      'the WeChat webhook',
    );
    return response.text();
  }

  /** A reply marked sent went out in a passive response or through the customer-service API. */
  protected reached(): boolean {
    return true;
  }
}

/** Replies in these conversations whose delivery is still under way (push channels). */
export async function pendingDeliveries(db: Kysely<Database>, conversationIds: string[]): Promise<number> {
  if (conversationIds.length === 0) return 0;
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from activities
    where direction = 'outbound' and delivery_status = 'pending' and conversation_id = any(${conversationIds})`.execute(
    db,
  );
  return rows[0]?.n ?? 0;
}
