/**
 * The job queue port. Two real implementations: BullMQ on Redis (`REDIS_URL` set) and pg-boss on the
 * gateway's own PostgreSQL/PGlite (the embedded default). Both pass one conformance suite.
 */

export interface JobOptions {
  /** Wait this long before the first attempt. */
  delayMs?: number;
  /**
   * While a job with this key is waiting, delayed, running or waiting for a retry, sending another with the
   * same key adds nothing (`send` returns null); once it completed or finally failed, the key is free again.
   * Used to make enqueueing idempotent (e.g. one turn per activity).
   */
  dedupeKey?: string;
  /** Total attempts including the first; defaults to the queue's configured attempts. */
  attempts?: number;
  /**
   * Base delay of the exponential backoff: the retry after failed attempt n waits base * 2^(n-1); 0 retries
   * at once. A lower bound: pg-boss counts retry delays in whole seconds (rounded up) and spreads each retry
   * over up to twice its delay.
   */
  backoffMs?: number;
  /**
   * How long one attempt may run before the queue counts its worker as dead and runs the job again
   * (pg-boss: 15 minutes unless set; BullMQ renews its lock for as long as the worker lives).
   */
  maxRunMs?: number;
}

export interface Job<T> {
  id: string;
  queue: string;
  data: T;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
}

export type JobHandler<T> = (job: Job<T>) => Promise<void>;

/**
 * Thrown by a handler when another attempt cannot succeed (a provider rejected the request as invalid):
 * the job goes to the dead letters at once instead of being retried.
 */
export class PermanentJobError extends Error {
  readonly permanent = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

export const isPermanent = (error: unknown): boolean =>
  error instanceof Error && (error as Partial<PermanentJobError>).permanent === true;

export interface WorkOptions {
  /** Jobs of this queue handled at once by this process. */
  concurrency?: number;
}

export interface JobQueue {
  readonly kind: 'bullmq' | 'pg-boss';
  /** Returns the job id, or null when `dedupeKey` matched a job that is still pending. */
  send<T>(queue: string, data: T, options?: JobOptions): Promise<string | null>;
  /** Starts handling jobs of `queue`. A handler that throws is retried with backoff; after the last
   * attempt, or at once when it throws a `PermanentJobError`, the job is written to the dead-letter table. */
  work<T>(queue: string, handler: JobHandler<T>, options?: WorkOptions): Promise<void>;
  /** Stops taking jobs, waits for running handlers to finish, and closes connections. */
  stop(): Promise<void>;
}

export interface DeadLetter {
  queue: string;
  jobId: string;
  data: unknown;
  error: string;
  attempts: number;
}

/** Where jobs that exhausted their attempts go (a table supervisors can read). */
export interface DeadLetterSink {
  record(entry: DeadLetter): Promise<void>;
}

export interface QueueDefaults {
  attempts: number;
  backoffMs: number;
}
