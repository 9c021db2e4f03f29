import { sql, type Kysely } from 'kysely';
import { audit, SYSTEM_ACTOR } from './audit.js';
import type { Database } from './db/schema.js';
import type { Logger } from './logger.js';
import { maskPii } from './pii.js';
import type { JobQueue } from './queue/job-queue.js';

export const RETENTION_QUEUE = 'retention.purge';

/** How long each kind of personal data is kept, in days (config `RETENTION_*`). */
export interface RetentionPolicy {
  /** After a conversation's last message: its messages, state, participants, media and handoff notes. */
  conversationDays: number;
  /** Citizens' media (pictures, voice messages), unless their conversation has a ticket or handoff open. */
  mediaDays: number;
  /** After a ticket closed: its reporter's name, phone, ID number and address; its texts masked. */
  ticketDays: number;
  /** Audit log entries. */
  auditDays: number;
}

export interface PurgeCounts {
  conversations: number;
  activities: number;
  media: number;
  tickets: number;
  auditEntries: number;
  deadLetters: number;
}

/** An open ticket or handoff of the conversation: while there is one, its messages and media are kept. */
function stillOpen(db: Kysely<Database>, conversationId: 'c.id' | 'm.conversation_id') {
  return db
    .selectFrom('tickets as t')
    .select('t.conversation_id')
    .where('t.conversation_id', '=', sql.ref<string>(conversationId))
    .where('t.status', 'not in', ['closed', 'draft'])
    .unionAll(
      db
        .selectFrom('handoffs as h')
        .select('h.conversation_id')
        .where('h.conversation_id', '=', sql.ref<string>(conversationId))
        .where('h.status', '<>', 'closed'),
    );
}

/** Rows purged in one transaction: a long purge never holds locks for long. */
const BATCH = 500;
const DAY_MS = 86_400_000;
/** Checked every six hours, first a minute after start-up; the queue's dedupe key keeps one job at a time. */
const SCHEDULE_EVERY_MS = 6 * 3600_000;
const SCHEDULE_FIRST_MS = 60_000;

/**
 * The retention job: purges personal data by the policy's ages. What the figures need stays: a purged
 * conversation keeps its row (marked `purged_at`) and its analytics facts minus the citizen's first words;
 * a ticket keeps its number, category, department, district, times and outcome. Conversations with a ticket
 * or handoff still open are kept whatever their age. Every run that purged anything is audited with counts.
 */
export class RetentionJob {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly policy: RetentionPolicy,
    private readonly logger: Logger,
  ) {}

  /** Handles purge jobs and, with `schedule`, queues one every few hours. */
  async start(queue: JobQueue, schedule: boolean): Promise<void> {
    await queue.work(RETENTION_QUEUE, async () => {
      await this.purge();
    });
    if (!schedule) return;
    const run = () =>
      void queue
        .send(RETENTION_QUEUE, {}, { dedupeKey: 'retention-purge' })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'queueing the retention purge failed'));
    this.timers.push(setTimeout(run, SCHEDULE_FIRST_MS).unref(), setInterval(run, SCHEDULE_EVERY_MS).unref());
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  async purge(now = new Date()): Promise<PurgeCounts> {
    const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const counts: PurgeCounts = {
      conversations: 0,
      activities: 0,
      media: 0,
      tickets: 0,
      auditEntries: 0,
      deadLetters: 0,
    };
    for (;;) {
      const done = await this.purgeConversations(before(this.policy.conversationDays), counts);
      if (done < BATCH) break;
    }
    for (;;) {
      const result = await this.db
        .deleteFrom('media')
        .where('id', 'in', (q) =>
          q
            .selectFrom('media as m')
            .select('m.id')
            .where('m.created_at', '<', before(this.policy.mediaDays))
            .where(({ not, exists }) => not(exists(stillOpen(this.db, 'm.conversation_id'))))
            .limit(BATCH),
        )
        .executeTakeFirst();
      counts.media += Number(result.numDeletedRows);
      if (Number(result.numDeletedRows) < BATCH) break;
    }
    for (;;) {
      const done = await this.anonymiseTickets(before(this.policy.ticketDays));
      counts.tickets += done;
      if (done < BATCH) break;
    }
    const deadLetters = await this.db
      .deleteFrom('dead_letter_jobs')
      .where('failed_at', '<', before(this.policy.conversationDays))
      .executeTakeFirst();
    counts.deadLetters = Number(deadLetters.numDeletedRows);
    counts.auditEntries = await this.purgeAudit(before(this.policy.auditDays));

    if (Object.values(counts).some((n) => n > 0)) {
      await audit(this.db, SYSTEM_ACTOR, {
        action: 'retention.purge',
        targetType: 'retention',
        targetId: now.toISOString().slice(0, 10),
        detail: { ...counts, policy: this.policy },
      });
      this.logger.info({ purged: counts, policy: this.policy }, 'retention purge');
    }
    return counts;
  }

  /** One batch of conversations idle since before `cutoff`; returns how many. */
  private async purgeConversations(cutoff: Date, counts: PurgeCounts): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('conversations as c')
        .select('c.id')
        .where('c.purged_at', 'is', null)
        .where('c.updated_at', '<', cutoff)
        .where(({ not, exists }) => not(exists(stillOpen(trx, 'c.id'))))
        .limit(BATCH)
        .forUpdate()
        .skipLocked()
        .execute();
      const ids = rows.map((r) => r.id);
      if (ids.length === 0) return 0;
      const activities = await trx.deleteFrom('activities').where('conversation_id', 'in', ids).executeTakeFirst();
      await trx.deleteFrom('participants').where('conversation_id', 'in', ids).execute();
      await trx.deleteFrom('conversation_state').where('conversation_id', 'in', ids).execute();
      const media = await trx.deleteFrom('media').where('conversation_id', 'in', ids).executeTakeFirst();
      await trx.deleteFrom('unanswered_questions').where('conversation_id', 'in', ids).execute();
      await trx
        .updateTable('conversation_facts')
        .set({ first_text: null })
        .where('conversation_id', 'in', ids)
        .execute();
      await trx
        .updateTable('handoffs')
        .set({ context: '{}', notes: '[]' })
        .where('conversation_id', 'in', ids)
        .execute();
      await trx.updateTable('voice_calls').set({ caller: null }).where('conversation_id', 'in', ids).execute();
      await trx
        .updateTable('conversations')
        .set({ purged_at: sql`now()` })
        .where('id', 'in', ids)
        .execute();
      counts.conversations += ids.length;
      counts.activities += Number(activities.numDeletedRows);
      counts.media += Number(media.numDeletedRows);
      return ids.length;
    });
  }

  /** One batch of tickets closed before `cutoff`: personal fields cleared, free text masked. */
  private async anonymiseTickets(cutoff: Date): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const tickets = await trx
        .selectFrom('tickets')
        .select(['id', 'description', 'occurred'])
        .where('status', '=', 'closed')
        .where('updated_at', '<', cutoff)
        .where('anonymised_at', 'is', null)
        .limit(BATCH)
        .forUpdate()
        .skipLocked()
        .execute();
      if (tickets.length === 0) return 0;
      for (const t of tickets) {
        await trx
          .updateTable('tickets')
          .set({
            reporter_name: null,
            phone: null,
            id_number: null,
            address: null,
            description: maskPii(t.description),
            occurred: t.occurred === null ? null : maskPii(t.occurred),
            anonymised_at: sql`now()`,
          })
          .where('id', '=', t.id)
          .execute();
      }
      // The notes of the whole batch in one read; only those the masking changes are written.
      const notes = await trx
        .selectFrom('ticket_events')
        .select(['id', 'note'])
        .where(
          'ticket_id',
          'in',
          tickets.map((t) => t.id),
        )
        .where('note', 'is not', null)
        .execute();
      for (const e of notes) {
        const masked = maskPii(e.note!);
        if (masked !== e.note)
          await trx.updateTable('ticket_events').set({ note: masked }).where('id', '=', e.id).execute();
      }
      return tickets.length;
    });
  }

  /** Audit entries older than `cutoff`: the one deletion the audit log's trigger lets through. */
  private async purgeAudit(cutoff: Date): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await sql`select set_config('minsheng.audit_purge', 'on', true)`.execute(trx);
      const result = await trx.deleteFrom('audit_log').where('at', '<', cutoff).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}
