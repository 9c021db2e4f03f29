import PgBoss from 'pg-boss';
import type pg from 'pg';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isPermanent } from './job-queue.js';
import type { DeadLetterSink, Job, JobHandler, JobOptions, JobQueue, QueueDefaults, WorkOptions } from './job-queue.js';

export interface PgBossQueueOptions {
  /** The gateway's own pool; may be embedded PGlite with exactly one connection. Never closed here. */
  pool: pg.Pool;
  defaults: QueueDefaults;
  deadLetters: DeadLetterSink;
  logger: Logger;
  /** Schema of pg-boss's tables; defaults to `pgboss`. */
  schema?: string;
}

/** The first worker of each queue polls this often (pg-boss 10's minimum is 0.5 s). */
const POLL_SECONDS = 0.5;
/** The other workers mostly sleep: a sibling that found a job, or a send in this process, wakes them. */
const IDLE_POLL_SECONDS = 2;
/**
 * pg-boss fails jobs still running this long into a graceful stop. The port promises to wait for running
 * handlers, so this is pg-boss's default job expiry, after which its maintenance would fail them anyway.
 */
const STOP_TIMEOUT_MS = 15 * 60_000;

interface Slot {
  id: string;
  busy: boolean;
}

/**
 * The job queue on the gateway's PostgreSQL or PGlite with pg-boss 10. pg-boss gets a `db` adapter over our
 * pool instead of a connection string, so it opens no pool of its own and each statement checks a client
 * out only for its own duration (PGlite has a single connection; holding one while calling pg-boss would
 * wait forever: on PGlite, never `send` from inside a database transaction).
 *
 * Concurrency is one pg-boss worker (a fetch loop of batch size 1) per slot: jobs succeed, fail and retry
 * individually, and a slow job does not hold back the others as a batch would.
 */
export class PgBossQueue implements JobQueue {
  readonly kind = 'pg-boss' as const;
  private readonly boss: PgBoss;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly defaults: QueueDefaults;
  private readonly deadLetters: DeadLetterSink;
  private readonly logger: Logger;
  private started: Promise<void> | undefined;
  private readonly queues = new Map<string, Promise<void>>();
  private readonly slots = new Map<string, Slot[]>();
  /** Statements and handlers in flight; `stop()` returns only when none is left. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private wakeCounter = 0;
  private stopping: Promise<void> | undefined;

  constructor(options: PgBossQueueOptions) {
    this.pool = options.pool;
    this.schema = options.schema ?? 'pgboss';
    this.defaults = options.defaults;
    this.deadLetters = options.deadLetters;
    this.logger = options.logger.child({ component: 'job-queue', queueKind: this.kind });
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => this.track(this.pool.query(text, values)) },
      schema: this.schema,
      // No cron schedules: the timekeeper would poll for them every 30 s and check clock skew.
      schedule: false,
      // Maintenance expires jobs whose worker died, archives and deletes old ones. Every instance
      // sets a timer, but one run per interval happens across all of them (a timestamp row gates it).
      supervise: true,
      maintenanceIntervalSeconds: 120,
    });
    this.boss.on('error', (error) => this.logger.error({ err: error }, 'pg-boss error'));
  }

  async send<T>(queue: string, data: T, options: JobOptions = {}): Promise<string | null> {
    this.assertRunning();
    await this.ready(queue);
    const attempts = options.attempts ?? this.defaults.attempts;
    const backoffMs = options.backoffMs ?? this.defaults.backoffMs;
    const delayMs = options.delayMs ?? 0;
    // pg sends a JS array as a SQL array literal, not JSON: hand jsonb its text form.
    const payload = JSON.stringify(data ?? null) as unknown as object;
    const id = await this.boss.send(queue, payload, {
      retryLimit: Math.max(0, attempts - 1),
      // pg-boss counts retry delays in whole seconds and spreads retry n over [d * 2^(n-1), d * 2^n].
      retryDelay: backoffMs > 0 ? Math.max(1, Math.ceil(backoffMs / 1000)) : 0,
      retryBackoff: backoffMs > 0,
      // A number of seconds becomes an interval, so fractions work.
      startAfter: delayMs > 0 ? delayMs / 1000 : undefined,
      // pg-boss validates the key when present, even as undefined.
      ...(options.maxRunMs === undefined ? {} : { expireInSeconds: Math.ceil(options.maxRunMs / 1000) }),
      // On a standard queue a singleton key alone constrains nothing (pg-boss's unique indexes cover only
      // the short, singleton and stately policies, which would also constrain jobs without a key).
      // `ensureDedupeIndex` adds the unique index that makes the insert's ON CONFLICT DO NOTHING skip it.
      singletonKey: options.dedupeKey,
    });
    if (id && delayMs <= 0) this.wakeIdleSlot(queue);
    return id;
  }

  async work<T>(queue: string, handler: JobHandler<T>, options: WorkOptions = {}): Promise<void> {
    this.assertRunning();
    await this.ready(queue);
    const log = this.logger.child({ queue });
    const slots = this.slots.get(queue) ?? [];
    this.slots.set(queue, slots);
    const concurrency = Math.max(1, options.concurrency ?? 1);
    for (let i = 0; i < concurrency; i++) {
      const slot: Slot = { id: '', busy: false };
      const workOptions = {
        includeMetadata: true as const,
        batchSize: 1,
        pollingIntervalSeconds: slots.length === 0 ? POLL_SECONDS : IDLE_POLL_SECONDS,
      };
      slots.push(slot);
      slot.id = await this.boss.work<T>(queue, workOptions, async ([job]) => {
        slot.busy = true;
        // There may be more: let an idle sibling look too.
        this.wakeIdleSlot(queue);
        try {
          if (job) await this.track(this.process(queue, handler, job, log));
        } finally {
          slot.busy = false;
          // Fetch again at once instead of after the polling interval.
          this.boss.notifyWorker(slot.id);
        }
      });
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    // A start in progress finishes first, so that stopping really stops what it started.
    await this.started?.catch(() => {});
    // Graceful: workers stop fetching, running handlers may finish. `close: false` is
    // belt and braces: pg-boss only ends pools it opened itself, and with `db` it opened none.
    await this.boss.stop({ graceful: true, wait: true, close: false, timeout: STOP_TIMEOUT_MS });
    // pg-boss acknowledges a job (complete / fail) without awaiting it, and a fetch in flight when the stop
    // began can still hand over a job: wait until none of our statements or handlers runs, so the caller
    // may close the pool right after.
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.inFlight.size === 0) return;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** pg-boss started and `queue` created, each once (pg-boss 10 rejects jobs for unknown queues). */
  private ready(queue: string): Promise<void> {
    this.started ??= retryable(
      (async () => {
        await this.boss.start();
        await this.ensureDedupeIndex();
      })(),
      () => (this.started = undefined),
    );
    let created = this.queues.get(queue);
    if (!created) {
      created = retryable(
        this.started.then(() => this.boss.createQueue(queue, { name: queue, policy: 'standard' })),
        () => this.queues.delete(queue),
      );
      this.queues.set(queue, created);
    }
    return created;
  }

  /**
   * At most one job per (queue, key) that is created, waiting for a retry or active; completed, failed and
   * cancelled jobs free the key. The database enforces it, so concurrent sends from any number of processes
   * cannot both insert. Created on pg-boss's partitioned job table, so every queue's partition (existing
   * and future) gets it; re-ensured at every start in case a pg-boss migration rebuilt the table.
   */
  private async ensureDedupeIndex(): Promise<void> {
    // One simple-protocol string runs as one implicit transaction: the advisory lock (held to its end)
    // keeps two instances starting together from racing on the index name. The schema name was
    // validated by pg-boss (word characters only).
    await this.track(
      this.pool.query(
        `select pg_advisory_xact_lock(hashtext('minsheng.dedupe.${this.schema}'));
         create unique index if not exists minsheng_job_dedupe on ${this.schema}.job (name, singleton_key)
           where state < 'completed' and singleton_key is not null`,
      ),
    );
  }

  private async process<T>(
    queue: string,
    handler: JobHandler<T>,
    raw: PgBoss.JobWithMetadata<T>,
    log: Logger,
  ): Promise<void> {
    // pg-boss counts retries: `retryCount` is 0 on the first attempt, `retryLimit` excludes it.
    const job: Job<T> = {
      id: raw.id,
      queue,
      data: raw.data,
      attempt: raw.retryCount + 1,
      maxAttempts: raw.retryLimit + 1,
    };
    try {
      await handler(job);
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      log.warn({ jobId: job.id, attempt: job.attempt, maxAttempts: job.maxAttempts, err: error }, 'job attempt failed');
      const permanent = isPermanent(error);
      if (permanent || job.attempt >= job.maxAttempts) {
        // Recorded before pg-boss marks the job failed (it does so after this throws): if the process dies in
        // between, the job expires and runs again, and the repeated insert is a no-op (unique queue + job id).
        try {
          await this.deadLetters.record({
            queue,
            jobId: job.id,
            data: job.data,
            error: error.message,
            attempts: job.attempt,
          });
        } catch (recordError) {
          // pg-boss keeps the failed job (until archived), so it is not lost; say loudly that the table missed it.
          log.error({ jobId: job.id, err: recordError }, 'could not record dead letter');
        }
      }
      // A permanent failure ends here: pg-boss would retry a throw, and the dead letter is the record.
      if (permanent) return;
      throw error;
    }
  }

  private wakeIdleSlot(queue: string): void {
    const idle = (this.slots.get(queue) ?? []).filter((slot) => !slot.busy && slot.id);
    const slot = idle[this.wakeCounter++ % Math.max(1, idle.length)];
    if (slot) this.boss.notifyWorker(slot.id);
  }

  private track<R>(promise: Promise<R>): Promise<R> {
    this.inFlight.add(promise);
    const forget = () => this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  private assertRunning(): void {
    if (this.stopping) throw new AppError('E_UNAVAILABLE', 'The job queue is stopped');
  }
}

/** `promise`, after which a failure runs `reset` so that the next call tries again instead of failing forever. */
function retryable(promise: Promise<void>, reset: () => void): Promise<void> {
  return promise.catch((error: unknown) => {
    reset();
    throw error;
  });
}
