/**
 * Push channels' webhooks, end to end: a signed inbound webhook until the reply is ready, for 50
 * concurrent senders per channel. SMS: from the webhook POST to the moment the (local, fake) provider
 * API receives the answer from the delivery queue. WeChat: from the POST to its passive XML reply. The
 * gateway runs in its own process; the fake provider answers at once, so what is measured is the gateway.
 */
import { getSignature } from '@wecom/crypto';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import { summarize, type Summary } from './stats.js';
import { QUESTIONS } from './webchat-turn.js';

export const CHANNEL_BENCH = {
  smsToken: 'bench-sms-auth-token-0123456789',
  account: 'ACbench0123456789',
  wechatToken: 'benchtoken',
  appId: 'wxbench0123456789',
};

/** The number SMS replies come from (the gateway's SMS_FROM). */
export const SMS_FROM = '+8610612345';

/** The gateway's environment for SMS and WeChat with the bench credentials, both APIs at `providerUrl`. */
export function channelGatewayEnv(providerUrl: string, publicUrl: string): Record<string, string> {
  return {
    PUBLIC_URL: publicUrl,
    TWILIO_ACCOUNT_SID: CHANNEL_BENCH.account,
    TWILIO_AUTH_TOKEN: CHANNEL_BENCH.smsToken,
    SMS_FROM,
    SMS_API_BASE_URL: providerUrl,
    WECHAT_TOKEN: CHANNEL_BENCH.wechatToken,
    WECHAT_APP_ID: CHANNEL_BENCH.appId,
    WECHAT_APP_SECRET: 'bench-secret',
    WECHAT_API_BASE_URL: providerUrl,
  };
}

/** The reply that follows an answer; the first reply to a message is the one measured. */
const ASK_HELPFUL = '以上答复是否解决了您的问题？';

let passiveMisses = 0;

export interface ChannelLevelResult {
  channel: 'sms' | 'wechat';
  /** WeChat: messages answered `success` because the turn took longer than the passive window. */
  passiveMisses?: number;
  senders: number;
  messages: number;
  latency: Summary;
  baseline: Summary;
}

/** One message the fake provider took (and, for a repeated idempotency token, did not send again). */
export interface ProviderReceipt {
  channel: 'sms' | 'wechat';
  /** SMS: the number; WeChat: the openid. */
  to: string;
  text: string;
  /** SMS: the `I-Twilio-Idempotency-Token` header; the WeChat customer-service API has no such key. */
  token?: string;
  /** True when the token was seen before: a provider that honours the key answers as before, sends nothing. */
  repeat: boolean;
  at: number;
}

/**
 * How the fake provider misbehaves: `hang` holds message requests open without taking them (until the
 * outage ends, then drops the connection); `late` takes them at once but answers only after `lateMs`
 * (longer than the sender's time-out, so the sender sees a failure for a message that was taken).
 */
export interface ProviderOutage {
  sms?: 'hang' | 'late';
  wechat?: 'hang' | 'late';
  lateMs?: number;
}

/**
 * A stand-in for the Twilio Messages API and the WeChat API: answers at once, tells who got what,
 * records every message it took, and can be told to stop answering for a while (`outage`).
 */
export class FakeProvider {
  private server?: Server;
  /** Per recipient (phone number or openid), the turns waiting for their reply, oldest first. */
  private readonly waiting = new Map<string, ((at: number) => void)[]>();
  private readonly tokens = new Map<string, string>();
  private outageState?: ProviderOutage;
  private readonly held = new Set<() => void>();
  /** Every message request taken, in order of arrival. */
  readonly receipts: ProviderReceipt[] = [];
  /** Requests held open or answered late during outages. */
  stalled = 0;
  url = '';

  /** @param latencyMs how long each message request takes when all is well (a real API's round trip). */
  constructor(private readonly latencyMs = 0) {}

  async start(): Promise<void> {
    let sid = 0;
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const at = performance.now();
        const answer = (status: number, payload: unknown) => {
          if (response.destroyed) return;
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(payload));
        };
        if (request.url?.includes('/Messages.json')) {
          const mode = this.outageState?.sms;
          if (mode === 'hang') return this.hold(response);
          const form = new URLSearchParams(body);
          const to = form.get('To') ?? '';
          const text = form.get('Body') ?? '';
          const token = request.headers['i-twilio-idempotency-token'];
          const key = typeof token === 'string' ? token : undefined;
          const known = key === undefined ? undefined : this.tokens.get(key);
          this.receipts.push({ channel: 'sms', to, text, token: key, repeat: known !== undefined, at });
          const messageSid = known ?? `SM${++sid}`;
          if (key !== undefined) this.tokens.set(key, messageSid);
          if (known === undefined && text !== ASK_HELPFUL) this.arrived(to, at);
          this.later(mode, () => answer(201, { sid: messageSid, status: 'queued' }));
        } else if (request.url?.startsWith('/cgi-bin/token')) {
          answer(200, { access_token: 'bench-token', expires_in: 7200 });
        } else if (request.url?.startsWith('/cgi-bin/message/custom/send')) {
          const mode = this.outageState?.wechat;
          if (mode === 'hang') return this.hold(response);
          const message = JSON.parse(body || '{}') as { touser?: string; text?: { content?: string } };
          this.receipts.push({
            channel: 'wechat',
            to: message.touser ?? '',
            text: message.text?.content ?? '',
            repeat: false,
            at,
          });
          if (message.text?.content !== ASK_HELPFUL) this.arrived(message.touser ?? '', at);
          this.later(mode, () => answer(200, { errcode: 0, errmsg: 'ok' }));
        } else {
          answer(200, { errcode: 0, errmsg: 'ok' });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Starts misbehaving as `outage` says, until `recover()`. */
  outage(outage: ProviderOutage): void {
    this.outageState = outage;
  }

  /** Answers normally again; connections held open by `hang` are dropped (the sender sees an error). */
  recover(): void {
    this.outageState = undefined;
    for (const drop of this.held) drop();
    this.held.clear();
  }

  private hold(response: ServerResponse): void {
    this.stalled++;
    this.held.add(() => response.destroy());
  }

  private later(mode: 'hang' | 'late' | undefined, send: () => void): void {
    if (mode === 'late') {
      this.stalled++;
      setTimeout(send, this.outageState?.lateMs ?? 12_000);
    } else if (this.latencyMs > 0) setTimeout(send, this.latencyMs);
    else send();
  }

  private arrived(to: string, at: number): void {
    const queue = this.waiting.get(to);
    const waiter = queue?.shift();
    if (queue?.length === 0) this.waiting.delete(to);
    waiter?.(at);
  }

  /**
   * Resolves with the time the next (non-follow-up) message to `to` arrives: a phone number on the
   * Messages API, an openid on the WeChat customer-service API. Rejects after `timeoutMs`.
   */
  next(to: string, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const waiter = (at: number) => {
        clearTimeout(timer);
        resolve(at);
      };
      const timer = setTimeout(() => {
        const queue = this.waiting.get(to) ?? [];
        queue.splice(queue.indexOf(waiter), 1);
        if (queue.length === 0) this.waiting.delete(to);
        reject(new Error(`no message to ${to} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.set(to, [...(this.waiting.get(to) ?? []), waiter]);
    });
  }

  async stop(): Promise<void> {
    this.recover();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** A webhook request as the provider would send it, signed with the bench credentials. */
export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** An inbound SMS webhook (Twilio's form, `X-Twilio-Signature`) from `phone`. */
export function smsWebhook(gatewayUrl: string, phone: string, text: string, messageSid: string): SignedRequest {
  const params = { From: phone, To: SMS_FROM, Body: text, MessageSid: messageSid };
  const url = `${gatewayUrl}/sms/twilio`;
  return {
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(CHANNEL_BENCH.smsToken, url, params),
    },
    body: new URLSearchParams(params).toString(),
  };
}

/** An inbound WeChat text message (plaintext mode, signed query) from `openId`. */
export function wechatWebhook(gatewayUrl: string, openId: string, text: string): SignedRequest {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  const signature = getSignature(CHANNEL_BENCH.wechatToken, timestamp, nonce, '');
  const msgId = String(BigInt(`0x${randomBytes(7).toString('hex')}`));
  return {
    url: `${gatewayUrl}/wechat?${new URLSearchParams({ timestamp, nonce, signature })}`,
    headers: { 'content-type': 'text/xml' },
    body: `<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[${openId}]]></FromUserName><CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${text}]]></Content><MsgId>${msgId}</MsgId></xml>`,
  };
}

/** A passive reply carries the answer; `success` means it goes by the customer-service API instead. */
export const isPassiveReply = (responseText: string) => responseText.includes('<Content>');

async function post({ url, headers, body }: SignedRequest): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

async function smsMessage(gatewayUrl: string, provider: FakeProvider, phone: string, text: string, n: number) {
  const request = smsWebhook(gatewayUrl, phone, text, `SMbench${phone}${n}${randomBytes(4).toString('hex')}`);
  const arrival = provider.next(phone);
  const started = performance.now();
  const response = await post(request);
  if (response.status !== 200) throw new Error(`SMS webhook answered ${response.status}: ${response.text}`);
  return (await arrival) - started;
}

async function wechatMessage(gatewayUrl: string, openId: string, text: string) {
  const request = wechatWebhook(gatewayUrl, openId, text);
  const started = performance.now();
  const response = await post(request);
  if (response.status !== 200) throw new Error(`WeChat webhook answered ${response.status}: ${response.text}`);
  // `success`: the turn missed the passive window and the reply goes by the customer-service API.
  if (!isPassiveReply(response.text)) passiveMisses++;
  return performance.now() - started;
}

async function baselineRoundTrips(gatewayUrl: string, senders: number, each: number): Promise<number[]> {
  const samples: number[] = [];
  await Promise.all(
    Array.from({ length: senders }, async () => {
      for (let n = 0; n < each; n++) {
        const started = performance.now();
        await fetch(`${gatewayUrl}/healthz`).then((r) => r.text());
        samples.push(performance.now() - started);
      }
    }),
  );
  return samples;
}

/** `senders` citizens per channel, each sending `each` questions one after another (after a warm-up). */
export async function measureChannels(
  gatewayUrl: string,
  provider: FakeProvider,
  senders: number,
  each: number,
): Promise<ChannelLevelResult[]> {
  const results: ChannelLevelResult[] = [];
  const phone = (i: number) => `+86139${String(i).padStart(8, '0')}`;
  const openId = (i: number) => `o-bench-${i}`;
  const run = async (send: (i: number, n: number) => Promise<number>) => {
    await Promise.all(Array.from({ length: senders }, (_, i) => send(i, -1))); // warm-up
    const samples: number[] = [];
    await Promise.all(
      Array.from({ length: senders }, async (_, i) => {
        for (let n = 0; n < each; n++) samples.push(await send(i, n));
      }),
    );
    return samples;
  };
  const question = (i: number, n: number) => QUESTIONS[(i + n + QUESTIONS.length) % QUESTIONS.length]!;
  const sms = await run((i, n) => smsMessage(gatewayUrl, provider, phone(i), question(i, n), n));
  results.push({
    channel: 'sms',
    senders,
    messages: sms.length,
    latency: summarize(sms),
    baseline: summarize(await baselineRoundTrips(gatewayUrl, senders, each)),
  });
  passiveMisses = 0;
  const wechat = await run((i, n) => wechatMessage(gatewayUrl, openId(i), question(i, n)));
  results.push({
    channel: 'wechat',
    passiveMisses,
    senders,
    messages: wechat.length,
    latency: summarize(wechat),
    baseline: summarize(await baselineRoundTrips(gatewayUrl, senders, each)),
  });
  return results;
}
