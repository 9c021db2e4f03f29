import { sql, type Kysely } from 'kysely';

/**
 * Tickets (工单): the case record the assistant or an agent registers, its numbering counter and its
 * history. Valid on PostgreSQL 15 and PGlite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tickets')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    // 12345-YYYYMMDD-NNNNNN: the city's calendar day of registration and that day's sequence.
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('demand_type', 'text', (c) =>
      c.notNull().check(sql`demand_type in ('consultation', 'help', 'complaint', 'report', 'suggestion', 'praise')`),
    )
    .addColumn('category_code', 'text')
    .addColumn('department', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`status in ('draft', 'registered', 'dispatched', 'in_progress', 'extension_requested', 'resolved', 'callback', 'closed')`,
        ),
    )
    .addColumn('priority', 'text', (c) =>
      c
        .notNull()
        .defaultTo('normal')
        .check(sql`priority in ('normal', 'urgent')`),
    )
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('reporter_name', 'text')
    .addColumn('phone', 'text')
    .addColumn('id_number', 'text')
    .addColumn('anonymous', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('district', 'text')
    .addColumn('address', 'text')
    .addColumn('occurred', 'text')
    .addColumn('organisation', 'text')
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text')
    // The inbound activity whose turn registered it: a turn run twice (a retry after a crash) registers once.
    .addColumn('source_activity_id', 'text', (c) => c.unique())
    .addColumn('duplicate_of', 'text')
    .addColumn('registered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deadline_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Duplicate detection looks for open tickets of one category and place registered recently.
  await sql`create index tickets_duplicate_idx on tickets (category_code, district, registered_at)`.execute(db);
  await sql`create index tickets_phone_idx on tickets (phone)`.execute(db);

  await db.schema
    .createTable('ticket_counters')
    .addColumn('day', 'date', (c) => c.primaryKey())
    .addColumn('last', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('ticket_events')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();
  await sql`create index ticket_events_ticket_idx on ticket_events (ticket_id, at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['ticket_events', 'ticket_counters', 'tickets']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
