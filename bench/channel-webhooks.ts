/**
 * Push channels' webhooks, end to end: a signed inbound webhook until the reply is ready, for 50
 * concurrent senders per channel. SMS: from the webhook POST to the moment the (local, fake) provider
 * API receives the answer from the delivery queue. WeChat: from the POST to its passive XML reply. The
 * gateway runs in its own process; the fake provider answers at once, so what is measured is the gateway.
 */
import { getSignature } from '@wecom/crypto';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
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

/** A stand-in for the Twilio Messages API and the WeChat API: answers at once, tells who got what. */
export class FakeProvider {
  private server?: Server;
  private readonly waiting = new Map<string, (at: number) => void>();
  url = '';

  async start(): Promise<void> {
    let sid = 0;
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const at = performance.now();
        if (request.url?.includes('/Messages.json')) {
          const form = new URLSearchParams(body);
          if (form.get('Body') !== ASK_HELPFUL) this.arrived(form.get('To') ?? '', at);
          response.writeHead(201, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ sid: `SM${++sid}`, status: 'queued' }));
        } else if (request.url?.startsWith('/cgi-bin/token')) {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ access_token: 'bench-token', expires_in: 7200 }));
        } else {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private arrived(to: string, at: number): void {
    const waiter = this.waiting.get(to);
    if (waiter) {
      this.waiting.delete(to);
      waiter(at);
    }
  }

  /** Resolves with the time the next (non-follow-up) message to `to` arrives. */
  next(to: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SMS to ${to} within 30 s`)), 30_000);
      this.waiting.set(to, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

async function smsMessage(gatewayUrl: string, provider: FakeProvider, phone: string, text: string, n: number) {
  const params = {
    From: phone,
    To: '+8610612345',
    Body: text,
    MessageSid: `SMbench${phone}${n}${randomBytes(4).toString('hex')}`,
  };
  const signature = twilio.getExpectedTwilioSignature(CHANNEL_BENCH.smsToken, `${gatewayUrl}/sms/twilio`, params);
  const arrival = provider.next(phone);
  const started = performance.now();
  const response = await post(
    `${gatewayUrl}/sms/twilio`,
    { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    new URLSearchParams(params).toString(),
  );
  if (response.status !== 200) throw new Error(`SMS webhook answered ${response.status}: ${response.text}`);
  return (await arrival) - started;
}

async function wechatMessage(gatewayUrl: string, openId: string, text: string) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  const signature = getSignature(CHANNEL_BENCH.wechatToken, timestamp, nonce, '');
  const msgId = String(BigInt(`0x${randomBytes(7).toString('hex')}`));
  const xml = `<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[${openId}]]></FromUserName><CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${text}]]></Content><MsgId>${msgId}</MsgId></xml>`;
  const started = performance.now();
  const response = await post(
    `${gatewayUrl}/wechat?${new URLSearchParams({ timestamp, nonce, signature })}`,
    { 'content-type': 'text/xml' },
    xml,
  );
  if (response.status !== 200) throw new Error(`WeChat webhook answered ${response.status}: ${response.text}`);
  // `success`: the turn missed the passive window and the reply goes by the customer-service API.
  if (!response.text.includes('<Content>')) passiveMisses++;
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
