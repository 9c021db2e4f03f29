import type pg from 'pg';
import type { Logger } from '../logger.js';
import type { DeadLetterSink, JobQueue, QueueDefaults } from './job-queue.js';

export interface CreateJobQueueOptions {
  /** BullMQ on this Redis when set; otherwise pg-boss on `pool`. */
  redisUrl?: string;
  /** Namespace of BullMQ's Redis keys, so deployments (and test runs) can share one Redis. */
  redisPrefix?: string;
  /** The gateway's database pool (PostgreSQL or embedded PGlite). */
  pool: pg.Pool;
  defaults: QueueDefaults;
  deadLetters: DeadLetterSink;
  logger: Logger;
}

/**
 * The one place that picks the job queue implementation. Only the chosen library is loaded (start-up
 * stays fast); neither connects before its first use.
 */
export async function createJobQueue(options: CreateJobQueueOptions): Promise<JobQueue> {
  const { redisUrl, redisPrefix, pool, defaults, deadLetters, logger } = options;
  if (redisUrl) {
    const { BullMqQueue } = await import('./bullmq-queue.js');
    return new BullMqQueue({ redisUrl, prefix: redisPrefix, defaults, deadLetters, logger });
  }
  const { PgBossQueue } = await import('./pgboss-queue.js');
  return new PgBossQueue({ pool, defaults, deadLetters, logger });
}
