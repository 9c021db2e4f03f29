import { sql, type Kysely } from 'kysely';

/**
 * Outbound delivery on push channels (SMS, WeChat customer-service messages): each outbound activity
 * carries its delivery state, set to `pending` in the transaction that stores it, so a reply that was
 * committed is never lost between the commit and the queue. And the addresses (phone numbers) that opted
 * out of a channel's messages.
 * Valid on PostgreSQL 15 and PGlite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('activities')
    .addColumn('delivery_status', 'text', (c) =>
      c.check(sql`delivery_status in ('pending', 'sent', 'delivered', 'failed', 'dead', 'suppressed')`),
    )
    .execute();
  await db.schema
    .alterTable('activities')
    .addColumn('delivery_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('activities').addColumn('provider_message_id', 'text').execute();
  await db.schema.alterTable('activities').addColumn('delivery_error', 'text').execute();
  await db.schema.alterTable('activities').addColumn('delivery_updated_at', 'timestamptz').execute();
  // The recovery sweep reads only what is still waiting.
  await sql`create index activities_delivery_pending on activities (created_at) where delivery_status = 'pending'`.execute(
    db,
  );
  await sql`create unique index activities_provider_message_id on activities (provider_message_id) where provider_message_id is not null`.execute(
    db,
  );
  // Participants by user id: a channel that knows its citizens by phone finds their open conversation.
  await sql`create index participants_user on participants (id, role)`.execute(db);

  await db.schema
    .createTable('opt_outs')
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('opt_outs_pk', ['channel_id', 'address'])
    .execute();
}
