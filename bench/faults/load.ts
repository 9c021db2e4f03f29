/**
 * Steady open-loop load across SMS (Twilio webhook), the WeChat official account (plaintext webhook) and
 * web chat (Direct Line), with senders that behave like the real ones: a request that got no 2xx is not
 * acknowledged and is sent again with the same id (MessageSid, MsgId, clientActivityID), to the next API
 * instance, until it is acknowledged or the sender gives up. Every message comes from a fresh citizen
 * (a new number, openid or conversation), so whatever reaches that citizen answers that one message.
 */
import { getSignature } from '@wecom/crypto';
import { randomBytes, randomUUID } from 'node:crypto';
import twilio from 'twilio';
import { CHANNEL_BENCH } from '../channel-webhooks.js';
import { QUESTIONS } from '../webchat-turn.js';
import { DIRECTLINE_SECRET, SMS_NUMBER } from './cluster.js';

export type Channel = 'sms' | 'wechat' | 'webchat';

export interface SentMessage {
  channel: Channel;
  /** The channel's own message id, the same on every retry. */
  messageId: string;
  /** SMS: the number; WeChat: the openid; web chat: the conversation id (known once opened). */
  citizen: string;
  text: string;
  acknowledged: boolean;
  /** Requests made for it (1 when the first was acknowledged). */
  attempts: number;
  /** Each request's outcome and duration, e.g. `200 in 812 ms`, `timeout in 5001 ms`. */
  log: string[];
  /** Web chat: the server's activity id from the acknowledgement. */
  activityId?: string;
  /** WeChat: the passive reply's text, when the acknowledging response carried one. */
  passiveReply?: string;
}

export interface LoadOptions {
  /** The API instances' base URLs; senders go round them, and to the next one after a failure. */
  urls: string[];
  /** What SMS webhooks are signed for (the public address in front of the instances). */
  publicUrl: string;
  /** Messages per second over all channels. */
  rate: number;
  seconds: number;
  /** A sender gives a message up when it is still not acknowledged this long after its first try. */
  giveUpMs?: number;
  /** Extra messages all sent at once at `atMs` (a backlog in the queues when the fault strikes). */
  burst?: { atMs: number; count: number };
}

/** How long each sender waits for an answer: Twilio 15 s, WeChat 5 s (then it retries), a browser 15 s. */
const TIMEOUT_MS: Record<Channel, number> = { sms: 15_000, wechat: 5_000, webchat: 15_000 };
/** WeChat tries a message three more times, then drops it; the others retry until they give up. */
const MAX_REQUESTS: Record<Channel, number> = { sms: Infinity, wechat: 4, webchat: Infinity };
const RETRY_PAUSE_MS = 500;

let instance = 0;
const nextUrl = (urls: string[]) => urls[instance++ % urls.length]!;

interface Attempt {
  ok: boolean;
  text?: string;
  outcome: string;
}

async function request(url: string, init: RequestInit, timeoutMs: number): Promise<Attempt> {
  const started = Date.now();
  const took = () => `in ${Date.now() - started} ms`;
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return { ok: response.status >= 200 && response.status < 300, text, outcome: `${response.status} ${took()}` };
  } catch (error) {
    const name = (error as Error).name === 'TimeoutError' ? 'timeout' : 'error';
    return { ok: false, outcome: `${name} ${took()}` };
  }
}

/** Retries `attempt` against the instances until it succeeds or `giveUpMs` passed. */
async function untilAcknowledged(
  message: SentMessage,
  urls: string[],
  giveUpMs: number,
  attempt: (url: string) => Promise<Attempt>,
): Promise<string | undefined> {
  const deadline = Date.now() + giveUpMs;
  for (;;) {
    message.attempts++;
    const result = await attempt(nextUrl(urls));
    message.log.push(result.outcome);
    if (result.ok) {
      message.acknowledged = true;
      return result.text;
    }
    if (Date.now() > deadline || message.attempts >= MAX_REQUESTS[message.channel]) return undefined;
    await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
  }
}

async function sendSms(message: SentMessage, options: LoadOptions, giveUpMs: number): Promise<void> {
  const params = { From: message.citizen, To: SMS_NUMBER, Body: message.text, MessageSid: message.messageId };
  const signature = twilio.getExpectedTwilioSignature(
    CHANNEL_BENCH.smsToken,
    `${options.publicUrl}/sms/twilio`,
    params,
  );
  await untilAcknowledged(message, options.urls, giveUpMs, (url) =>
    request(
      `${url}/sms/twilio`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      },
      TIMEOUT_MS.sms,
    ),
  );
}

async function sendWechat(message: SentMessage, options: LoadOptions, giveUpMs: number): Promise<void> {
  const created = String(Math.floor(Date.now() / 1000));
  const xml = `<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[${message.citizen}]]></FromUserName><CreateTime>${created}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${message.text}]]></Content><MsgId>${message.messageId}</MsgId></xml>`;
  const text = await untilAcknowledged(message, options.urls, giveUpMs, (url) => {
    // WeChat signs each delivery (retries too) with a fresh timestamp and nonce.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(6).toString('hex');
    const signature = getSignature(CHANNEL_BENCH.wechatToken, timestamp, nonce, '');
    return request(
      `${url}/wechat?${new URLSearchParams({ timestamp, nonce, signature })}`,
      { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml },
      TIMEOUT_MS.wechat,
    );
  });
  const passive = text && /<Content><!\[CDATA\[([\s\S]*?)\]\]><\/Content>/.exec(text)?.[1];
  if (passive) message.passiveReply = passive;
}

async function sendWebchat(message: SentMessage, options: LoadOptions, giveUpMs: number): Promise<void> {
  const auth = { authorization: `Bearer ${DIRECTLINE_SECRET}`, 'content-type': 'application/json' };
  const deadline = Date.now() + giveUpMs;
  // Opening the conversation is not the message: it is retried until it works (or the sender gives up).
  while (!message.citizen) {
    const opened = await request(
      `${nextUrl(options.urls)}/v3/directline/conversations`,
      {
        method: 'POST',
        headers: auth,
      },
      TIMEOUT_MS.webchat,
    );
    if (opened.ok && opened.text)
      message.citizen = (JSON.parse(opened.text) as { conversationId: string }).conversationId;
    else if (Date.now() > deadline) return;
    else await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
  }
  const body = JSON.stringify({
    type: 'message',
    from: { id: `dl_bench_${message.messageId.slice(0, 8)}` },
    text: message.text,
    channelData: { clientActivityID: message.messageId },
  });
  const text = await untilAcknowledged(message, options.urls, Math.max(0, deadline - Date.now()), (url) =>
    request(
      `${url}/v3/directline/conversations/${message.citizen}/activities`,
      { method: 'POST', headers: auth, body },
      TIMEOUT_MS.webchat,
    ),
  );
  if (text) message.activityId = (JSON.parse(text) as { id: string }).id;
}

/**
 * Sends `rate` messages a second for `seconds` (channels in turn), plus the burst, and resolves when every
 * sender is done (acknowledged or given up).
 */
export async function runLoad(options: LoadOptions): Promise<SentMessage[]> {
  const giveUpMs = options.giveUpMs ?? 60_000;
  const channels: Channel[] = ['sms', 'wechat', 'webchat'];
  const run = randomBytes(3).toString('hex');
  const messages: SentMessage[] = [];
  const senders: Promise<void>[] = [];
  const send = () => {
    const n = messages.length;
    const channel = channels[n % channels.length]!;
    const message: SentMessage = {
      channel,
      messageId:
        channel === 'sms'
          ? `SMfault${run}${String(n).padStart(6, '0')}`
          : channel === 'wechat'
            ? String(BigInt(`0x${randomBytes(7).toString('hex')}`))
            : randomUUID(),
      citizen:
        channel === 'sms'
          ? `+86137${String(parseInt(run, 16) % 1000).padStart(3, '0')}${String(n).padStart(5, '0')}`
          : channel === 'wechat'
            ? `o-fault-${run}-${n}`
            : '',
      text: QUESTIONS[n % QUESTIONS.length]!,
      acknowledged: false,
      attempts: 0,
      log: [],
    };
    messages.push(message);
    const sender = channel === 'sms' ? sendSms : channel === 'wechat' ? sendWechat : sendWebchat;
    senders.push(sender(message, options, giveUpMs));
  };
  const total = Math.round(options.rate * options.seconds);
  const started = Date.now();
  let burst = options.burst;
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / options.rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    if (burst && Date.now() - started >= burst.atMs) {
      for (let i = 0; i < burst.count; i++) send();
      burst = undefined;
    }
    send();
  }
  await Promise.all(senders);
  return messages;
}
