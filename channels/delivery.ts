/**
 * Delivery of replies on push channels (SMS; WeChat customer-service messages next): each reply is
 * stored as `pending` in the transaction that commits the turn, then sent by a queued job with retries
 * and backoff, one job per activity (its id is the dedupe key and the provider's idempotency key). A
 * provider error is classified: a rate limit or a server error is retried; a rejected request (an
 * invalid number) is dead-lettered at once. A sweep re-queues replies whose job was lost, so a reply the
 * broker committed is always sent or shows up as dead.
 */
import type { ConversationStore } from '../assistant/conversation-store.js';
import type { StoredActivity } from '../core/activity.js';
import type { Logger } from '../core/logger.js';
import { PermanentJobError, type Job, type JobQueue } from '../core/queue/job-queue.js';

export const DELIVERY_QUEUE = 'channel-delivery';

/** A pending reply this old without a send is assumed to have lost its job, and is queued again. */
export const DELIVERY_RECOVERY_AGE_MS = 30_000;

/**
 * How long the `sent` mark of a reply the provider accepted is retried (the database restarting): giving up
 * fails the job, and its retry sends the reply a second time.
 */
const MARK_SENT_RETRY_MS = 30_000;

export interface DeliveryJobData {
  activityId: string;
}

/** Raised by a sender for a failed send; `retryable` decides between another attempt and the dead letters. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** HTTP statuses worth another attempt: time-outs, rate limits and server errors. */
export const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export interface ChannelSender {
  readonly channelId: string;
  /**
   * Wait this long before the first send: the channel may still answer in its HTTP response (WeChat's
   * passive reply) and claim the reply first.
   */
  readonly initialDelayMs?: number;
  /**
   * Sends one reply. Resolves with the provider's id of the message, or `suppressed` when the recipient
   * must not be sent to (opted out). Throws `SendError`.
   */
  send(activity: StoredActivity): Promise<{ providerMessageId: string } | 'suppressed'>;
}

export class OutboundDelivery {
  private readonly senders: Map<string, ChannelSender>;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly options: {
      store: ConversationStore;
      queue: JobQueue;
      senders: ChannelSender[];
      logger: Logger;
      /** Attempts per reply before it is dead. */
      attempts: number;
      backoffMs: number;
    },
  ) {
    this.senders = new Map(options.senders.map((s) => [s.channelId, s]));
  }

  /** The channels whose replies this delivers (the store marks their replies pending). */
  get channels(): string[] {
    return [...this.senders.keys()];
  }

  /** Queues a send for each reply on a push channel (called by the broker after the commit). */
  async enqueue(activities: StoredActivity[]): Promise<void> {
    for (const activity of activities) {
      const sender = this.senders.get(activity.channelId);
      if (activity.type !== 'message' || !sender) continue;
      await this.queueOne(activity.id, sender.initialDelayMs);
    }
  }

  private queueOne(activityId: string, delayMs?: number) {
    return this.options.queue.send<DeliveryJobData>(
      DELIVERY_QUEUE,
      { activityId },
      {
        dedupeKey: `deliver:${activityId}`,
        attempts: this.options.attempts,
        backoffMs: this.options.backoffMs,
        delayMs,
      },
    );
  }

  /**
   * Marks pending replies as sent in the channel's own response; returns the ids it could claim. Past
   * `respondBy` (epoch ms, counted from the request's arrival) the channel no longer waits for the response,
   * so nothing is claimed and the queued sends deliver the replies: a reply claimed then would be marked
   * sent and never arrive (WeChat gives up 5 s after it sent the message; bench/faults.ts lost replies so).
   */
  async claim(activityIds: string[], respondBy: number): Promise<string[]> {
    if (Date.now() >= respondBy) return [];
    return this.options.store.claimDeliveries(activityIds);
  }

  /** Gives claimed replies back to the queued sends. */
  release(activityIds: string[]): Promise<void> {
    return this.options.store.releaseDeliveries(activityIds);
  }

  /** Starts the delivery worker and the recovery sweep. */
  async start(concurrency: number, sweepEveryMs = 15_000): Promise<void> {
    await this.options.queue.work<DeliveryJobData>(DELIVERY_QUEUE, (job) => this.deliver(job), { concurrency });
    this.sweepTimer = setInterval(() => {
      this.recoverPending().catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'delivery sweep failed'),
      );
    }, sweepEveryMs);
    this.sweepTimer.unref();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
  }

  /** Re-queues pending replies older than `olderThanMs` (their job was lost). Safe on any instance. */
  async recoverPending(olderThanMs = DELIVERY_RECOVERY_AGE_MS): Promise<number> {
    const ids = await this.options.store.pendingDeliveries(olderThanMs);
    for (const id of ids) await this.queueOne(id);
    return ids.length;
  }

  /** The queue handler: one send of one reply. */
  async deliver(job: Job<DeliveryJobData>): Promise<void> {
    const { store, logger } = this.options;
    const row = await store.deliveryOf(job.data.activityId);
    // Sent already (a duplicate job after a crash between the send and the job's completion is the one
    // case that can send twice; the provider's idempotency key covers it where the provider has one).
    if (!row || row.status !== 'pending') return;
    const { activity } = row;
    const sender = this.senders.get(activity.channelId);
    if (!sender) throw new PermanentJobError(`no sender for channel ${activity.channelId}`);
    const log = logger.child({ activityId: activity.id, channel: activity.channelId, attempt: job.attempt });
    let result: Awaited<ReturnType<ChannelSender['send']>>;
    try {
      result = await sender.send(activity);
    } catch (error) {
      const retryable = !(error instanceof SendError) || error.retryable;
      const last = !retryable || job.attempt >= job.maxAttempts;
      await store.markDelivery(activity.id, last ? 'dead' : 'pending', {
        attempts: job.attempt,
        error: error instanceof Error ? error.message : String(error),
      });
      log.warn({ err: error, retryable }, last ? 'reply could not be delivered' : 'reply send failed; retrying');
      if (!retryable) throw new PermanentJobError((error as Error).message, { cause: error });
      throw error;
    }
    // The provider has it: from here a failure must not make the job send it again.
    if (result === 'suppressed') {
      await this.markDone(activity.id, 'suppressed', { attempts: job.attempt }, log);
      log.info('reply not sent: the recipient opted out');
    } else {
      await this.markDone(
        activity.id,
        'sent',
        { attempts: job.attempt, providerMessageId: result.providerMessageId },
        log,
      );
    }
  }

  /**
   * Records a finished send, retrying while the database is unreachable (a restart takes seconds): a job
   * that failed here would run again and send the reply twice, as a PostgreSQL restart under load showed
   * (bench/faults.ts `pg`).
   */
  private async markDone(
    activityId: string,
    status: 'sent' | 'suppressed',
    details: { attempts: number; providerMessageId?: string },
    log: Logger,
  ): Promise<void> {
    const deadline = Date.now() + MARK_SENT_RETRY_MS;
    for (let pause = 250; ; pause = Math.min(pause * 2, 2_000)) {
      try {
        await this.options.store.markDelivery(activityId, status, details);
        return;
      } catch (error) {
        if (Date.now() + pause > deadline) throw error;
        log.warn({ err: error }, 'could not record the send; retrying');
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** A provider's status callback: `delivered` or `failed` for a sent message. */
  recordStatus(providerMessageId: string, status: 'delivered' | 'failed', error?: string): Promise<boolean> {
    return this.options.store.recordDeliveryReport(providerMessageId, status, error);
  }
}
