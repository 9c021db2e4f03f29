import { sql, type Kysely } from 'kysely';

/**
 * Human handoff: agents' desk profiles and presence, handoffs (one open per conversation), private notes of
 * a warm transfer, and department invite links (only a hash of the token is stored). Valid on PostgreSQL 15
 * and PGlite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agent_profiles')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('staff_accounts.id').onDelete('cascade'))
    .addColumn('presence', 'text', (c) => c.notNull().defaultTo('away'))
    .addColumn('queues', 'jsonb', (c) => c.notNull().defaultTo(sql`'["general"]'::jsonb`))
    .addColumn('skills', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('languages', 'jsonb', (c) => c.notNull().defaultTo(sql`'["zh","en"]'::jsonb`))
    .addColumn('capacity', 'integer', (c) => c.notNull().defaultTo(3))
    .addColumn('idle_since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // When a desk of the agent's was last connected (the desk stream renews it): no desk, no offers.
    .addColumn('desk_seen_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('handoffs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('skills', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('zh-CN'))
    // waiting -> offered -> active -> closed; an offer declined or timed out goes back to waiting.
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('waiting'))
    .addColumn('agent_id', 'text', (c) => c.references('staff_accounts.id'))
    .addColumn('consultant_id', 'text', (c) => c.references('staff_accounts.id'))
    .addColumn('queued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('offered_at', 'timestamptz')
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('closed_at', 'timestamptz')
    .addColumn('disposition', 'text')
    // The bot's knowledge hits and ticket draft when it was raised.
    .addColumn('context', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('notes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // Agents who declined it: it is offered to someone else.
    .addColumn('declined_by', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  // At most one open handoff per conversation: raising twice (a retried turn, the sweep) is a no-op.
  await sql`create unique index handoffs_open_conversation on handoffs (conversation_id) where status <> 'closed'`.execute(
    db,
  );
  await sql`create index handoffs_open on handoffs (status, queue) where status <> 'closed'`.execute(db);

  // The handoff sweep looks for conversations whose state asks for a person: few among millions.
  await sql`create index conversation_state_handoff on conversation_state (conversation_id) where state ? 'handoff'`.execute(
    db,
  );

  await db.schema
    .createTable('handoff_invites')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('handoff_id', 'text', (c) => c.notNull().references('handoffs.id').onDelete('cascade'))
    .addColumn('department', 'text', (c) => c.notNull())
    // A private consultation (warm transfer to a department): what the department writes goes to the agents only.
    .addColumn('private', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('opened_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['handoff_invites', 'handoffs', 'agent_profiles']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
