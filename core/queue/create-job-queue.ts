import type pg from 'pg';
import type { Logger } from '../logger.js';
import { BullMqQueue } from './bullmq-queue.js';
import type { DeadLetterSink, JobQueue, QueueDefaults } from './job-queue.js';
import { PgBossQueue } from './pgboss-queue.js';

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

/** The one place that picks the job queue implementation. Neither connects before its first use. */
export function createJobQueue({
  redisUrl,
  redisPrefix,
  pool,
  defaults,
  deadLetters,
  logger,
}: CreateJobQueueOptions): JobQueue {
  return redisUrl
    ? new BullMqQueue({ redisUrl, prefix: redisPrefix, defaults, deadLetters, logger })
    : new PgBossQueue({ pool, defaults, deadLetters, logger });
}
