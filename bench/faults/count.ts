/**
 * After a scenario: waits for the queues to drain, then checks every acknowledged message got exactly
 * one reply delivered.
 *
 * What "one reply" means: a turn commits a set of bot activities replying to the message (an answer and
 * "did this help?", or one question of the intake dialog). Each of them must reach the citizen once.
 *  - Web chat: the bot activities with `replyToId` = the message, read back over Direct Line.
 *  - SMS: the provider's Messages API receipts for the citizen's number. Each send carries the reply's
 *    activity id as `I-Twilio-Idempotency-Token`; a repeat of a token is counted as ONE delivery (a provider
 *    that honours the key sends it once) and reported separately as a provider repeat.
 *  - WeChat: the passive reply in the acknowledging HTTP response plus the customer-service API receipts for
 *    the openid. That API has no idempotency key, so every receipt counts as a delivery.
 * A message is missing when its reply set is empty or one of its replies never arrived; duplicated when a
 * reply arrived twice or the reply set was committed twice (the same text twice in it).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { TURN_QUEUE } from '../../assistant/broker.js';
import { DELIVERY_QUEUE } from '../../channels/delivery.js';
import type { FakeProvider, ProviderReceipt } from '../channel-webhooks.js';
import { DIRECTLINE_SECRET } from './cluster.js';
import type { Channel, SentMessage } from './load.js';

export interface Backlog {
  /** Jobs waiting, delayed or running, by queue. */
  jobs: Record<string, number>;
  unansweredInbound: number;
  pendingDeliveries: number;
  deadLetters: number;
  /** Set when a source could not be read (counts as not drained). */
  error?: string;
}

const drained = (b: Backlog) =>
  !b.error && b.unansweredInbound === 0 && b.pendingDeliveries === 0 && Object.values(b.jobs).every((n) => n === 0);

/** Reads the backlog from BullMQ and from the database (the truth the recovery sweeps work from). */
export async function readBacklog(databaseUrl: string, redisUrl: string, prefix: string): Promise<Backlog> {
  const backlog: Backlog = { jobs: {}, unansweredInbound: -1, pendingDeliveries: -1, deadLetters: -1 };
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  redis.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ unanswered: string; pending: string; dead: string }>(`
      select (select count(*) from activities where direction = 'inbound' and processed_at is null) as unanswered,
             (select count(*) from activities where delivery_status = 'pending') as pending,
             (select count(*) from dead_letter_jobs) as dead`);
    backlog.unansweredInbound = Number(rows[0]!.unanswered);
    backlog.pendingDeliveries = Number(rows[0]!.pending);
    backlog.deadLetters = Number(rows[0]!.dead);
    await redis.connect();
    for (const name of [TURN_QUEUE, DELIVERY_QUEUE]) {
      const queue = new Queue(name, { connection: redis, prefix });
      const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
      backlog.jobs[name] = Object.values(counts).reduce((a, b) => a + b, 0);
      await queue.close();
    }
  } catch (error) {
    backlog.error = (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
    redis.disconnect();
  }
  return backlog;
}

/** Polls until the backlog is empty twice in a row (a sweep may be between its read and its send). */
export async function waitForDrain(
  read: () => Promise<Backlog>,
  timeoutMs: number,
): Promise<{ drained: boolean; seconds: number; last: Backlog }> {
  const started = Date.now();
  let emptyOnce = false;
  for (;;) {
    const last = await read();
    if (drained(last)) {
      if (emptyOnce) return { drained: true, seconds: (Date.now() - started) / 1000, last };
      emptyOnce = true;
    } else emptyOnce = false;
    if (Date.now() - started > timeoutMs) return { drained: false, seconds: (Date.now() - started) / 1000, last };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export interface Tally {
  sent: number;
  acknowledged: number;
  /** Acknowledged only after more than one request (the fault hit the sender). */
  retried: number;
  repliedOnce: number;
  missing: number;
  duplicated: number;
  /** SMS sends the provider saw again with the same idempotency token (not a second message). */
  providerRepeats: number;
  byChannel: Record<Channel, { acknowledged: number; missing: number; duplicated: number }>;
  /** A few examples of what went wrong, for the report. */
  examples: string[];
}

interface StoredReply {
  inboundKey: string;
  id: string;
  text: string;
  /** Delivery status and provider id as the database has them (for the diagnosis of a failure). */
  delivery: string;
}

/** The reply sets the database holds for the acknowledged SMS and WeChat messages, by channel message id. */
async function storedReplies(databaseUrl: string, messages: SentMessage[]): Promise<Map<string, StoredReply[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const keys = messages.filter((m) => m.channel !== 'webchat').map((m) => `${m.channel}:${m.messageId}`);
    const { rows } = await client.query<{ key: string; id: string | null; text: string | null; delivery: string }>(
      `select i.channel_id || ':' || i.channel_message_id as key, o.id, o.text,
              coalesce(o.delivery_status, '-') || '/' || coalesce(o.provider_message_id, 'no provider id') as delivery
       from activities i left join activities o on o.reply_to_id = i.id and o.direction = 'outbound' and o.type = 'message'
       where i.direction = 'inbound' and i.channel_id || ':' || i.channel_message_id = any($1::text[])
       order by o.seq`,
      [keys],
    );
    const byKey = new Map<string, StoredReply[]>();
    for (const row of rows) {
      const list = byKey.get(row.key) ?? [];
      if (row.id) list.push({ inboundKey: row.key, id: row.id, text: row.text ?? '', delivery: row.delivery });
      byKey.set(row.key, list);
    }
    return byKey;
  } finally {
    await client.end();
  }
}

async function webchatReplies(urls: string[], conversationId: string, activityId: string): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    const url = urls[attempt % urls.length]!;
    try {
      const response = await fetch(`${url}/v3/directline/conversations/${conversationId}/activities`, {
        headers: { authorization: `Bearer ${DIRECTLINE_SECRET}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const { activities } = (await response.json()) as {
        activities: { type: string; replyToId?: string; text?: string; from: { role?: string } }[];
      };
      return activities
        .filter((a) => a.type === 'message' && a.from.role === 'bot' && a.replyToId === activityId)
        .map((a) => a.text ?? '');
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const hasRepeats = (texts: string[]) => new Set(texts).size !== texts.length;

interface Verdict {
  missing: boolean;
  duplicated: boolean;
  /** What was found, for the report of a failure. */
  note: string;
  providerRepeats: number;
}

/** Web chat: the bot's replies to the message in the conversation. */
function webchatVerdict(texts: string[]): Verdict {
  return {
    missing: texts.length === 0,
    duplicated: hasRepeats(texts),
    note: `${texts.length} replies`,
    providerRepeats: 0,
  };
}

/** SMS and WeChat: each stored reply against what reached the citizen. */
function pushVerdict(message: SentMessage, replies: StoredReply[], receipts: ProviderReceipt[]): Verdict {
  let missing = replies.length === 0;
  let duplicated = hasRepeats(replies.map((r) => r.text));
  const stored = `${replies.length} stored (${replies.map((r) => r.delivery).join(', ')})`;
  if (message.channel === 'sms') {
    const firsts = receipts.filter((r) => !r.repeat);
    for (const reply of replies) {
      const sends = firsts.filter((r) => r.token === reply.id).length;
      if (sends === 0) missing = true;
      if (sends > 1) duplicated = true;
    }
    // Anything else sent to this number replies to nothing it asked.
    if (firsts.some((r) => !replies.some((reply) => reply.id === r.token))) duplicated = true;
    return {
      missing,
      duplicated,
      note: `${stored}, ${receipts.length} at the provider`,
      providerRepeats: receipts.length - firsts.length,
    };
  }
  // The passive reply joins the replies it carries with blank lines.
  const passive = message.passiveReply ?? '';
  for (const reply of replies) {
    const deliveries = (passive.includes(reply.text) ? 1 : 0) + receipts.filter((r) => r.text === reply.text).length;
    if (deliveries === 0) missing = true;
    if (deliveries > 1) duplicated = true;
  }
  if (receipts.some((r) => !replies.some((reply) => reply.text === r.text))) duplicated = true;
  return {
    missing,
    duplicated,
    note: `${stored}, ${passive ? 'a' : 'no'} passive reply, ${receipts.length} by the API`,
    providerRepeats: 0,
  };
}

/** Counts, for every acknowledged message, the deliveries of its replies. */
export async function tallyReplies(
  messages: SentMessage[],
  provider: FakeProvider,
  databaseUrl: string,
  apiUrls: string[],
): Promise<Tally> {
  const tally: Tally = {
    sent: messages.length,
    acknowledged: 0,
    retried: 0,
    repliedOnce: 0,
    missing: 0,
    duplicated: 0,
    providerRepeats: 0,
    byChannel: {
      sms: { acknowledged: 0, missing: 0, duplicated: 0 },
      wechat: { acknowledged: 0, missing: 0, duplicated: 0 },
      webchat: { acknowledged: 0, missing: 0, duplicated: 0 },
    },
    examples: [],
  };
  const acknowledged = messages.filter((m) => m.acknowledged);
  const stored = await storedReplies(databaseUrl, acknowledged);
  const receiptsTo = new Map<string, typeof provider.receipts>();
  for (const receipt of provider.receipts) {
    const key = `${receipt.channel}:${receipt.to}`;
    receiptsTo.set(key, [...(receiptsTo.get(key) ?? []), receipt]);
  }

  for (const message of acknowledged) {
    const { missing, duplicated, note, providerRepeats } =
      message.channel === 'webchat'
        ? webchatVerdict(await webchatReplies(apiUrls, message.citizen, message.activityId!))
        : pushVerdict(
            message,
            stored.get(`${message.channel}:${message.messageId}`) ?? [],
            receiptsTo.get(`${message.channel}:${message.citizen}`) ?? [],
          );
    tally.providerRepeats += providerRepeats;
    const channel = tally.byChannel[message.channel];
    tally.acknowledged++;
    if (message.attempts > 1) tally.retried++;
    channel.acknowledged++;
    if (missing) {
      tally.missing++;
      channel.missing++;
    }
    if (duplicated) {
      tally.duplicated++;
      channel.duplicated++;
    }
    if (!missing && !duplicated) tally.repliedOnce++;
    else if (tally.examples.length < 8) {
      tally.examples.push(
        `${message.channel} ${message.messageId} (${message.citizen}; requests: ${message.log.join(', ')}): ${
          missing ? 'missing' : 'duplicated'
        }, ${note}`,
      );
    }
  }
  return tally;
}
