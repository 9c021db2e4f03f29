import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job as BullJob, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isPermanent } from './job-queue.js';
import type { DeadLetterSink, Job, JobHandler, JobOptions, JobQueue, QueueDefaults, WorkOptions } from './job-queue.js';

export interface BullMqQueueOptions {
  redisUrl: string;
  /** Namespace of every Redis key (BullMQ's `prefix`); defaults to `bull`. */
  prefix?: string;
  defaults: QueueDefaults;
  deadLetters: DeadLetterSink;
  logger: Logger;
}

/** Completed jobs are only kept for a glance in a dashboard; failed ones longer, for inspection. */
const KEEP_COMPLETED = { count: 1000, age: 24 * 3600 };
const KEEP_FAILED = { count: 5000, age: 14 * 24 * 3600 };

/**
 * A worker that dies (SIGKILL, out of memory, a lost node) leaves its running jobs locked; another worker
 * takes them back once the lock has expired and its stalled-job check runs. BullMQ's defaults (30 s and
 * 30 s) would leave a citizen's message unanswered for up to a minute, and the recovery sweep cannot queue
 * it again while the dead job holds its dedupe key. The lock is renewed every LOCK_MS / 2 while the worker
 * lives, so only an event loop blocked for LOCK_MS looks like a death (the job then runs again, as after
 * any crash: turns commit optimistically, deliveries carry the provider's idempotency key).
 */
const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;

/**
 * The job queue on Redis with BullMQ. One BullMQ `Queue` per queue name (created on first send, cached)
 * shares one producer connection; each `work()` starts a BullMQ `Worker`, which opens its own connections
 * (duplicated from a template with `maxRetriesPerRequest: null`, as BullMQ requires for blocking reads).
 */
export class BullMqQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly prefix: string;
  private readonly defaults: QueueDefaults;
  private readonly deadLetters: DeadLetterSink;
  private readonly logger: Logger;
  /** Shared by all producers; BullMQ leaves a caller-owned client open, so `stop()` closes it. */
  private readonly connection: Redis;
  /** Never used directly: every Worker duplicates it for its command and blocking connections. */
  private readonly workerConnection: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  /** Errors the processor already dead-lettered, so the `failed` event does not record them again. */
  private readonly deadLettered = new WeakSet<Error>();
  private readonly pendingRecords = new Set<Promise<void>>();
  private stopping: Promise<void> | undefined;

  constructor(options: BullMqQueueOptions) {
    this.prefix = options.prefix ?? 'bull';
    this.defaults = options.defaults;
    this.deadLetters = options.deadLetters;
    this.logger = options.logger.child({ component: 'job-queue', queueKind: this.kind });
    // Passing clients rather than options: BullMQ can only construct ioredis itself through `require`,
    // which native ESM does not have. Lazy, so a process that never touches the queue never connects.
    this.connection = new Redis(options.redisUrl, { lazyConnect: true });
    this.workerConnection = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null });
  }

  async send<T>(queue: string, data: T, options: JobOptions = {}): Promise<string | null> {
    this.assertRunning();
    const jobId = randomUUID();
    const backoffMs = options.backoffMs ?? this.defaults.backoffMs;
    const jobOptions: JobsOptions = {
      jobId,
      attempts: options.attempts ?? this.defaults.attempts,
      backoff: backoffMs > 0 ? { type: 'exponential', delay: backoffMs } : undefined,
      delay: options.delayMs && options.delayMs > 0 ? options.delayMs : undefined,
      // BullMQ's deduplication runs inside the same Lua script that adds the job: it sets the key with
      // SET NX (or finds it taken) atomically, so two concurrent sends cannot both add a job. The key is
      // released when the job completes or finally fails (retries keep it). Not `jobId = dedupeKey`:
      // a finished job kept for inspection would block its key, and `add` returns an indistinguishable
      // Job for an existing id, so detecting that needs a second, racy round trip.
      deduplication: options.dedupeKey ? { id: options.dedupeKey } : undefined,
    };
    const job = await this.queueFor(queue).add(queue, data, jobOptions);
    // A deduplicated add returns the job that holds the key, whose id is not the one we generated.
    return job.id === jobId ? jobId : null;
  }

  async work<T>(queue: string, handler: JobHandler<T>, options: WorkOptions = {}): Promise<void> {
    this.assertRunning();
    const log = this.logger.child({ queue });
    const worker = new Worker<T>(queue, (job) => this.process(queue, handler, job, log), {
      connection: this.workerConnection,
      prefix: this.prefix,
      concurrency: Math.max(1, options.concurrency ?? 1),
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
    });
    worker.on('error', (error) => log.error({ err: error }, 'queue worker error'));
    worker.on('failed', (job, error) => {
      // Handler failures on the last attempt were recorded by `process` before BullMQ marked them failed.
      // What remains are failures BullMQ decides on its own, e.g. a job that stalled (its worker died)
      // more often than `maxStalledCount` is failed without the handler running again.
      if (!job || job.finishedOn === undefined || this.deadLettered.has(error)) return;
      log.error({ jobId: job.id, err: error }, 'job failed without its handler');
      this.track(this.recordDeadLetter(queue, job, error, job.attemptsMade, log));
    });
    this.workers.push(worker);
    await worker.waitUntilReady();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    // Workers first: `close()` stops fetching and waits for running handlers to finish and be acknowledged.
    await Promise.all(this.workers.map((worker) => worker.close()));
    await Promise.allSettled([...this.pendingRecords]);
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await closeClient(this.connection);
    await closeClient(this.workerConnection);
  }

  private queueFor(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
      });
      queue.on('error', (error) => this.logger.error({ queue: name, err: error }, 'queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private async process<T>(queue: string, handler: JobHandler<T>, bullJob: BullJob<T>, log: Logger): Promise<void> {
    // `attemptsMade` counts finished attempts; a retry increments it before the job runs again.
    const job: Job<T> = {
      id: bullJob.id ?? '',
      queue,
      data: bullJob.data,
      attempt: bullJob.attemptsMade + 1,
      maxAttempts: bullJob.opts.attempts ?? 1,
    };
    try {
      await handler(job);
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      const permanent = isPermanent(error);
      const last = permanent || job.attempt >= job.maxAttempts;
      log.warn({ jobId: job.id, attempt: job.attempt, maxAttempts: job.maxAttempts, err: error }, 'job attempt failed');
      if (last) {
        // Recorded here, before BullMQ moves the job to `failed`: if the process dies in between, the job
        // stalls and runs again, and the repeated insert is a no-op (unique queue + job id). Recording in
        // the `failed` event instead would lose the entry when the process dies right after the move.
        this.deadLettered.add(error);
        await this.recordDeadLetter(queue, bullJob, error, job.attempt, log);
      }
      if (permanent) {
        // BullMQ's own marker for "do not retry"; the dead letter is already recorded.
        const unrecoverable = new UnrecoverableError(error.message);
        this.deadLettered.add(unrecoverable);
        throw unrecoverable;
      }
      throw error;
    }
  }

  private async recordDeadLetter(queue: string, job: BullJob, error: Error, attempts: number, log: Logger) {
    try {
      await this.deadLetters.record({ queue, jobId: job.id ?? '', data: job.data, error: error.message, attempts });
    } catch (recordError) {
      // The job stays in BullMQ's failed set (bounded), so it is not lost; say loudly that the table missed it.
      log.error({ jobId: job.id, err: recordError }, 'could not record dead letter');
    }
  }

  private track(promise: Promise<void>): void {
    this.pendingRecords.add(promise);
    void promise.finally(() => this.pendingRecords.delete(promise));
  }

  private assertRunning(): void {
    if (this.stopping) throw new AppError('E_UNAVAILABLE', 'The job queue is stopped');
  }
}

async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'wait' || client.status === 'end') {
    client.disconnect();
    return;
  }
  await client.quit().catch(() => client.disconnect());
}
