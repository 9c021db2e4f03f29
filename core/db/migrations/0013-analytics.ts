import { sql, type Kysely } from 'kysely';

/**
 * Analytics: one row of facts per conversation and one per question the knowledge base could not answer,
 * both kept up to date by the roll-up (analytics/rollup.ts) so the dashboard never scans the activities;
 * the ticket times the deadline and callback figures need; the stored statistical reports. Valid on
 * PostgreSQL 15 and PGlite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('conversation_facts')
    .addColumn('conversation_id', 'text', (c) => c.primaryKey().references('conversations.id').onDelete('cascade'))
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    // The city's calendar day it started on: figures group by day without converting every row's time.
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('last_at', 'timestamptz', (c) => c.notNull())
    .addColumn('citizen_messages', 'integer', (c) => c.notNull())
    .addColumn('answered', 'integer', (c) => c.notNull())
    .addColumn('suggested', 'integer', (c) => c.notNull())
    .addColumn('missed', 'integer', (c) => c.notNull())
    .addColumn('helpful', 'integer', (c) => c.notNull())
    .addColumn('unhelpful', 'integer', (c) => c.notNull())
    .addColumn('handoff_reason', 'text')
    .addColumn('tickets', 'integer', (c) => c.notNull())
    .addColumn('emergency', 'text')
    .addColumn('refused', 'text')
    .addColumn('category_code', 'text')
    .addColumn('demand_type', 'text')
    .addColumn('district', 'text')
    .addColumn('satisfaction', 'smallint')
    .addColumn('self_served', 'boolean', (c) => c.notNull())
    .addColumn('first_text', 'text')
    .execute();
  await sql`create index conversation_facts_day on conversation_facts (day)`.execute(db);

  await db.schema
    .createTable('unanswered_questions')
    // The citizen's message (a miss) or the "没解决" reply (an unhelpful answer): counted once.
    .addColumn('activity_id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('miss', 'unhelpful')`))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('normalized', 'text', (c) => c.notNull())
    .execute();
  await sql`create index unanswered_questions_day on unanswered_questions (day)`.execute(db);
  // The latest wording of each of the most asked questions.
  await sql`create index unanswered_questions_normalized on unanswered_questions (normalized, at)`.execute(db);

  // Set by the ticket store from now on; earlier tickets get theirs from the history.
  await db.schema.alterTable('tickets').addColumn('resolved_at', 'timestamptz').execute();
  await db.schema
    .alterTable('tickets')
    .addColumn('callback_satisfaction', 'smallint', (c) => c.check(sql`callback_satisfaction in (1, 2, 3)`))
    .execute();
  await db.schema.alterTable('tickets').addColumn('callback_at', 'timestamptz').execute();
  await sql`update tickets t set resolved_at = e.at
            from (select ticket_id, max(at) as at from ticket_events where to_status = 'resolved' group by ticket_id) e
            where e.ticket_id = t.id`.execute(db);
  // A narrow copy of the tickets with the city days of their events: a year of tickets is read in one pass
  // over a table a fraction of the width of tickets (descriptions, addresses).
  await db.schema
    .createTable('ticket_facts')
    .addColumn('id', 'integer', (c) => c.primaryKey().references('tickets.id').onDelete('cascade'))
    .addColumn('demand_type', 'text', (c) => c.notNull())
    .addColumn('category_code', 'text')
    .addColumn('department', 'text')
    .addColumn('district', 'text')
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('registered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('registered_day', 'date', (c) => c.notNull())
    .addColumn('deadline_at', 'timestamptz', (c) => c.notNull())
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolved_day', 'date')
    .addColumn('callback_day', 'date')
    .addColumn('callback_satisfaction', 'smallint')
    // The description's key words (analytics/clusters.ts), taken once: clustering reads them, not jieba.
    .addColumn('keywords', 'jsonb')
    .execute();
  // With the id: the newest tickets (clustering) are read backwards along it, without a sort.
  await sql`create index ticket_facts_registered on ticket_facts (registered_day, id)`.execute(db);
  await sql`create index ticket_facts_resolved on ticket_facts (resolved_day) where resolved_day is not null`.execute(
    db,
  );
  await sql`create index ticket_facts_callback on ticket_facts (callback_day) where callback_day is not null`.execute(
    db,
  );
  // Open tickets past their deadline: a small set, read on every dashboard load.
  await sql`create index ticket_facts_open_deadline on ticket_facts (deadline_at)
            where status in ('registered', 'dispatched', 'in_progress', 'extension_requested')`.execute(db);
  // The roll-up copies the tickets changed since its last run into ticket_facts.
  await sql`create index tickets_updated on tickets (updated_at)`.execute(db);
  await sql`create index handoffs_queued on handoffs (queued_at)`.execute(db);
  // The roll-up reads the conversations changed since its last run, and their tickets and handoffs.
  await sql`create index conversations_updated on conversations (updated_at)`.execute(db);
  await sql`create index tickets_conversation on tickets (conversation_id)`.execute(db);
  await sql`create index handoffs_conversation on handoffs (conversation_id, queued_at)`.execute(db);

  await db.schema
    .createTable('analytics_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('daily', 'weekly', 'monthly')`))
    .addColumn('period_start', 'date', (c) => c.notNull())
    .addColumn('period_end', 'date', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'ready', 'failed')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('overview', 'jsonb')
    .addColumn('pdf', 'bytea')
    .addColumn('error', 'text')
    .addUniqueConstraint('analytics_reports_period', ['kind', 'period_start'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('analytics_reports').ifExists().execute();
  await db.schema.dropTable('ticket_facts').ifExists().execute();
  for (const index of [
    'tickets_updated',
    'handoffs_queued',
    'conversations_updated',
    'tickets_conversation',
    'handoffs_conversation',
  ]) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
  for (const column of ['resolved_at', 'callback_satisfaction', 'callback_at']) {
    await db.schema.alterTable('tickets').dropColumn(column).execute();
  }
  await db.schema.dropTable('unanswered_questions').ifExists().execute();
  await db.schema.dropTable('conversation_facts').ifExists().execute();
}
