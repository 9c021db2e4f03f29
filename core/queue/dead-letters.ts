import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DeadLetter, DeadLetterSink } from './job-queue.js';

/** A dead letter as supervisors read it back. */
export interface DeadLetterRecord extends DeadLetter {
  id: string;
  failedAt: Date;
}

export interface DeadLetterPage {
  limit: number;
  offset?: number;
  /** Only this queue's dead letters. */
  queue?: string;
}

/** Dead letters in the `dead_letter_jobs` table, shared by both queue implementations. */
export class DatabaseDeadLetters implements DeadLetterSink {
  constructor(private readonly db: Kysely<Database>) {}

  async record(entry: DeadLetter): Promise<void> {
    await this.db
      .insertInto('dead_letter_jobs')
      .values({
        queue: entry.queue,
        job_id: entry.jobId,
        // jsonb is written as JSON text; `undefined` has no JSON form, so it is stored as null.
        data: JSON.stringify(entry.data ?? null),
        error: entry.error,
        attempts: entry.attempts,
      })
      // A job recorded twice (the process died between recording and the queue marking it failed, and it
      // ran its last attempt again) keeps its first row.
      .onConflict((conflict) => conflict.columns(['queue', 'job_id']).doNothing())
      .execute();
  }

  /** Newest first. */
  async list({ limit, offset = 0, queue }: DeadLetterPage): Promise<DeadLetterRecord[]> {
    let query = this.db.selectFrom('dead_letter_jobs').selectAll();
    if (queue !== undefined) query = query.where('queue', '=', queue);
    const rows = await query.orderBy('failed_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
    return rows.map((row) => ({
      id: row.id,
      queue: row.queue,
      jobId: row.job_id,
      data: row.data,
      error: row.error,
      attempts: row.attempts,
      failedAt: row.failed_at,
    }));
  }
}
