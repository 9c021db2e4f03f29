import { sql, type Kysely } from 'kysely';

/**
 * One row per voice call: which transport carried it, who called, how it ended and what the bot did with
 * it (transferred, bridged to an emergency number). The words said are the conversation's activities.
 * Valid on PostgreSQL 15 and PGlite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('voice_calls')
    // The transport's own call id (Twilio CallSid, AudioSocket UUID), prefixed by transport.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.references('conversations.id').onDelete('cascade'))
    .addColumn('transport', 'text', (c) => c.notNull())
    .addColumn('caller', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ended_at', 'timestamptz')
    .addColumn('end_reason', 'text')
    .addColumn('audio_ms', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('utterances', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('barge_ins', 'integer', (c) => c.notNull().defaultTo(0))
    // What call control did last: transferred, bridged:119, conference...
    .addColumn('outcome', 'text')
    .execute();
  await db.schema.createIndex('voice_calls_conversation').on('voice_calls').column('conversation_id').execute();
}
