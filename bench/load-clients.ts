/**
 * The citizens of the load benchmark (bench/load.ts) and the pacer that sends their messages. A turn is
 * one citizen message until its reply is delivered: web chat, the POST over Direct Line until the bot's
 * reply is on that conversation's WebSocket stream; WeChat, the POST until the passive XML reply (or, when
 * the gateway answered `success`, until the customer-service API receives the reply); SMS, the signed
 * webhook until the provider's Messages API receives the reply. Turns are timed from their scheduled start,
 * so a request the load generator itself sent late still counts its wait (no coordinated omission).
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  isPassiveReply,
  smsWebhook,
  wechatWebhook,
  type FakeProvider,
  type SignedRequest,
} from './channel-webhooks.js';
import { call, openSession, QUESTIONS, turn, type Session } from './webchat-turn.js';

export const CHANNELS = ['webchat', 'sms', 'wechat'] as const;
export type LoadChannel = (typeof CHANNELS)[number];

/** One turn's outcome; times are performance.now() milliseconds. */
export interface TurnOutcome {
  channel: LoadChannel;
  /** The scheduled start. */
  startedAt: number;
  /** When the reply arrived, or when the turn failed. */
  endedAt: number;
  /** Set when the turn failed: a non-2xx answer, a network error or no reply within the time-out. */
  error?: string;
  /** WeChat: the gateway answered `success` and the reply went by the customer-service API. */
  notPassive?: boolean;
}

// Open loop: no connection limit on this side, so no request waits in the load generator for a socket.
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

function post({ url, headers, body }: SignedRequest) {
  return call(url, 'POST', headers, body, agent);
}

function deadline(ms: number): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${(ms / 1000).toFixed(1)} s`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Distinct citizens per channel, taken in turn; web chat conversations are opened ahead with their streams. */
export class LoadCitizens {
  private readonly sessions: Session[] = [];
  private readonly counts: Record<LoadChannel, number> = { webchat: 0, sms: 0, wechat: 0 };
  private readonly sent: Record<LoadChannel, number> = { webchat: 0, sms: 0, wechat: 0 };
  /** Distinguishes this run's message ids and openids from any other's on the same database. */
  private readonly run = randomBytes(3).toString('hex');
  /** WebSocket errors after the stream opened (a dropped stream loses that conversation's replies). */
  streamErrors = 0;

  constructor(
    private readonly gatewayUrl: string,
    private readonly secret: string,
    private readonly provider: FakeProvider,
    private readonly timeoutMs: number,
  ) {}

  size(channel: LoadChannel): number {
    return this.counts[channel];
  }

  /** Adds `count` citizens on `channel` (web chat: opens their conversations, `parallel` at a time). */
  async add(channel: LoadChannel, count: number, parallel = 32): Promise<number[]> {
    const first = this.counts[channel];
    const added = Array.from({ length: count }, (_, i) => first + i);
    if (channel === 'webchat') {
      await inParallel(added, parallel, async (i) => {
        const session = await openSession(this.gatewayUrl, this.secret);
        session.socket.on('error', () => this.streamErrors++);
        this.sessions[i] = session;
      });
    }
    this.counts[channel] += count;
    return added;
  }

  /** The next citizen on `channel` sends the next question; never rejects. */
  next(channel: LoadChannel, startedAt = performance.now()): Promise<TurnOutcome> {
    const n = this.sent[channel]++;
    const size = this.counts[channel];
    // Each round through the citizens shifts the questions, so a citizen does not repeat one question.
    return this.send(channel, n % size, QUESTIONS[(n + Math.floor(n / size)) % QUESTIONS.length]!, startedAt);
  }

  /** One turn of citizen `index` on `channel`; never rejects (a failure is an outcome with `error`). */
  async send(channel: LoadChannel, index: number, text: string, startedAt = performance.now()): Promise<TurnOutcome> {
    const limit = deadline(this.timeoutMs - (performance.now() - startedAt));
    const work: Promise<{ endedAt: number; notPassive?: boolean }> =
      channel === 'webchat'
        ? this.webchat(index, text, startedAt)
        : channel === 'sms'
          ? this.sms(index, text)
          : this.wechat(index, text);
    try {
      const { endedAt, notPassive } = await Promise.race([work, limit.promise]);
      return { channel, startedAt, endedAt, notPassive };
    } catch (error) {
      work.catch(() => undefined);
      return { channel, startedAt, endedAt: performance.now(), error: (error as Error).message };
    } finally {
      limit.cancel();
    }
  }

  private async webchat(index: number, text: string, startedAt: number): Promise<{ endedAt: number }> {
    const session = this.sessions[index]!;
    const ms = await turn(this.gatewayUrl, session, text, { startedAt, timeoutMs: this.timeoutMs, agent });
    return { endedAt: startedAt + ms };
  }

  private async sms(index: number, text: string): Promise<{ endedAt: number }> {
    const phone = `+86139${String(index).padStart(8, '0')}`;
    const arrival = this.provider.next(phone, this.timeoutMs);
    arrival.catch(() => undefined);
    const response = await post(
      smsWebhook(this.gatewayUrl, phone, text, `SMload${this.run}${randomBytes(8).toString('hex')}`),
    );
    if (response.status !== 200) throw new Error(`SMS webhook answered ${response.status}`);
    return { endedAt: await arrival };
  }

  private async wechat(index: number, text: string): Promise<{ endedAt: number; notPassive?: boolean }> {
    const openId = `o-load-${this.run}-${index}`;
    const response = await post(wechatWebhook(this.gatewayUrl, openId, text));
    if (response.status !== 200) throw new Error(`WeChat webhook answered ${response.status}`);
    if (isPassiveReply(response.text)) return { endedAt: performance.now() };
    // `success`: the reply goes by the customer-service API once the passive window has passed.
    return { endedAt: await this.provider.next(openId, this.timeoutMs), notPassive: true };
  }

  close(): void {
    for (const session of this.sessions) session.socket.close();
  }
}

/** Runs `task` over `items`, `parallel` at a time (closed loop). */
export async function inParallel<T>(items: T[], parallel: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

/**
 * Open loop: calls `start` `rate` times a second for `seconds`, with evenly spaced scheduled times, whatever
 * the answers do. Resolves with the schedule's start once the last one was started.
 */
export async function openLoop(
  rate: number,
  seconds: number,
  start: (scheduledAt: number, n: number) => void,
): Promise<number> {
  const began = performance.now();
  const total = Math.round(rate * seconds);
  let started = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * rate) + 1);
      for (; started < due; started++) start(began + (started * 1000) / rate, started);
      if (started >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 2);
    tick();
  });
  return began;
}
