import { sql, type Kysely } from 'kysely';

// Valid on PostgreSQL 15 and PGlite (PostgreSQL 17/18): no syntax newer than 15.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists vector`.execute(db);
  await sql`create extension if not exists pg_trgm`.execute(db);

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('mode', 'text', (c) =>
      c
        .notNull()
        .defaultTo('bot')
        .check(sql`mode in ('bot', 'agent')`),
    )
    .addColumn('locale', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('participants')
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('user', 'bot', 'agent')`))
    .addColumn('name', 'text')
    .addColumn('joined_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('participants_pk', ['conversation_id', 'id'])
    .execute();

  await db.schema
    .createTable('activities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('inbound', 'outbound')`))
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('channel_message_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('from_id', 'text', (c) => c.notNull())
    .addColumn('from_role', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('reply_to_id', 'text')
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('processed_at', 'timestamptz')
    .addUniqueConstraint('activities_conversation_seq_key', ['conversation_id', 'seq'])
    // A channel retrying a message (WeChat after 5 s, Twilio, a client re-post) must not create a second row.
    .addUniqueConstraint('activities_channel_message_key', ['channel_id', 'channel_message_id'])
    .execute();
  // Unanswered inbound activities: a handful at any time, so these partial indexes stay tiny. One serves
  // the turn (pending messages of a conversation), the other the recovery sweep (oldest first).
  await sql`create index activities_pending_idx on activities (conversation_id, seq)
            where direction = 'inbound' and processed_at is null`.execute(db);
  await sql`create index activities_unanswered_age_idx on activities (created_at)
            where direction = 'inbound' and processed_at is null`.execute(db);

  await db.schema
    .createTable('conversation_state')
    .addColumn('conversation_id', 'text', (c) => c.primaryKey().references('conversations.id').onDelete('cascade'))
    .addColumn('state', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('knowledge_faq')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('variants', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('answer', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('dead_letter_jobs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('failed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('dead_letter_jobs_queue_job_key', ['queue', 'job_id'])
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'settings',
    'dead_letter_jobs',
    'knowledge_faq',
    'conversation_state',
    'activities',
    'participants',
    'conversations',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
