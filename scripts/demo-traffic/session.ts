/**
 * One demo citizen's side of a conversation: what they send, what reached them, and waiting for it. A turn
 * is over when the assistant committed its replies to the message (the gateway stores them in one
 * statement with the message's "processed" mark) and every one of them reached the citizen on the channel.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.js';
import type { ChannelCitizen, Seen } from './channels.js';
import type { Random } from './random.js';

const POLL_MS = 120;
const TURN_TIMEOUT_MS = 45_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CitizenSession {
  /** Everything that reached the citizen, in order. */
  readonly received: Seen[] = [];
  /** Received but not yet looked at by the script. */
  private unread: Seen[] = [];

  constructor(
    readonly client: ChannelCitizen,
    private readonly db: Kysely<Database>,
    readonly random: Random,
  ) {}

  get conversationId(): string | undefined {
    return this.client.conversationId;
  }

  get channel() {
    return this.client.channel;
  }

  async open(): Promise<void> {
    await this.client.open();
  }

  /** Sends a message after a short pause (a person types), without waiting for an answer. */
  async say(text: string): Promise<string> {
    await sleep(this.random.int(40, 220));
    return this.client.send(text);
  }

  /**
   * Sends a message and waits for the assistant's replies to it (none while an agent has the conversation).
   * `onSent` runs once the gateway acknowledged the message, before the replies are awaited.
   */
  async turn(text: string, onSent?: (conversationId: string) => void): Promise<Seen[]> {
    const id = await this.say(text);
    onSent?.(this.client.conversationId!);
    const replyIds = await this.committedReplies(id);
    const deadline = Date.now() + TURN_TIMEOUT_MS;
    while (!replyIds.every((r) => this.received.some((m) => m.id === r))) {
      if (Date.now() > deadline) throw new Error(`replies to "${text}" did not reach the citizen on ${this.channel}`);
      await this.pull();
      await sleep(POLL_MS);
    }
    const replies = this.unread;
    this.unread = [];
    return replies;
  }

  /** The first unread message that matches, waiting for it; the unread ones before it count as read. */
  async next(match: (m: Seen) => boolean, timeoutMs = 60_000): Promise<Seen> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.unread.findIndex(match);
      if (index >= 0) {
        const found = this.unread[index]!;
        this.unread = this.unread.slice(index + 1);
        return found;
      }
      if (Date.now() > deadline) {
        const last = this.received.at(-1)?.text.slice(0, 40) ?? 'nothing';
        throw new Error(`waited ${timeoutMs} ms on ${this.channel} for a message; last received: ${last}`);
      }
      await this.pull();
      if (this.unread.findIndex(match) < 0) await sleep(POLL_MS);
    }
  }

  /** Reads what arrives for `ms` (notices after a turn), returning the unread messages. */
  async linger(ms: number): Promise<Seen[]> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      await this.pull();
      await sleep(POLL_MS);
    }
    const replies = this.unread;
    this.unread = [];
    return replies;
  }

  private async pull(): Promise<void> {
    const fresh = await this.client.poll();
    for (const message of fresh) {
      if (this.received.some((m) => m.id === message.id)) continue;
      this.received.push(message);
      this.unread.push(message);
    }
  }

  /** Waits until the turn for the message committed; returns the ids of its replies. */
  private async committedReplies(activityId: string): Promise<string[]> {
    const deadline = Date.now() + TURN_TIMEOUT_MS;
    for (;;) {
      const inbound = await this.db
        .selectFrom('activities')
        .select('processed_at')
        .where('id', '=', activityId)
        .executeTakeFirst();
      if (inbound?.processed_at) break;
      if (Date.now() > deadline) throw new Error(`the assistant did not answer message ${activityId} in time`);
      await sleep(60);
    }
    const replies = await this.db
      .selectFrom('activities')
      .select('id')
      .where('reply_to_id', '=', activityId)
      .where('type', '=', 'message')
      .orderBy('seq')
      .execute();
    return replies.map((r) => r.id);
  }
}

/** What the assistant's replies say, read from their channelData (assistant/turn.ts). */
export const replies = {
  data<T = Record<string, unknown>>(list: Seen[], key: string): T | undefined {
    for (let i = list.length - 1; i >= 0; i--) {
      const value = list[i]!.channelData[key];
      if (value !== undefined && value !== null) return value as T;
    }
    return undefined;
  },
  /** The slot the intake dialog asked for (district, address, name, phone, category, confirm). */
  asked(list: Seen[]): string | undefined {
    return replies.data<{ asked?: string }>(list, 'intake')?.asked;
  },
  ticket(list: Seen[]): string | undefined {
    return replies.data<{ number?: string }>(list, 'ticket')?.number;
  },
  answered(list: Seen[]): boolean {
    return replies.data<{ articleId?: string }>(list, 'knowledge')?.articleId !== undefined;
  },
  candidates(list: Seen[]): string[] {
    const message = list.find((m) => (m.channelData.knowledge as { candidates?: unknown })?.candidates);
    return message?.actions ?? [];
  },
  missed(list: Seen[]): boolean {
    return replies.data<{ miss?: boolean }>(list, 'knowledge')?.miss === true;
  },
  /** The "did this help?" buttons: [yes, no]. */
  helpfulActions(list: Seen[]): string[] {
    return list.find((m) => m.actions.length === 2 && !m.channelData.knowledge)?.actions ?? [];
  },
  clarify(list: Seen[]): string | undefined {
    return replies.data<string>(list, 'clarify');
  },
  emergency(list: Seen[]): boolean {
    return replies.data(list, 'emergency') !== undefined;
  },
  handoffRequested(list: Seen[]): boolean {
    return replies.data<{ reason?: string }>(list, 'handoff')?.reason !== undefined;
  },
  refused(list: Seen[]): boolean {
    return replies.data(list, 'refused') !== undefined;
  },
  status(list: Seen[]): { number: string | null; found: boolean | null } | undefined {
    return replies.data(list, 'status');
  },
};
