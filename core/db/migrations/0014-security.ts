import { sql, type Kysely } from 'kysely';

/**
 * Security and retention: staff sign-in lockout, an audit log the database itself keeps append-only, and
 * the marks the retention job leaves (core/retention.ts): a conversation whose messages it purged, a ticket
 * whose personal fields it cleared. Valid on PostgreSQL 15 and PGlite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('staff_accounts')
    .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('staff_accounts').addColumn('locked_until', 'timestamptz').execute();
  await db.schema.alterTable('conversations').addColumn('purged_at', 'timestamptz').execute();
  await db.schema.alterTable('tickets').addColumn('anonymised_at', 'timestamptz').execute();

  // No route edits the audit log, and neither may anything else that reaches the database: rows cannot be
  // updated, and only the retention job, which says so for its own transaction, deletes rows past their time.
  await sql`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and current_setting('minsheng.audit_purge', true) = 'on' then
        return old;
      end if;
      raise exception 'the audit log is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`
    create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function audit_log_append_only()`.execute(db);
  await sql`
    create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists audit_log_no_truncate on audit_log`.execute(db);
  await sql`drop trigger if exists audit_log_append_only on audit_log`.execute(db);
  await sql`drop function if exists audit_log_append_only()`.execute(db);
  await db.schema.alterTable('tickets').dropColumn('anonymised_at').execute();
  await db.schema.alterTable('conversations').dropColumn('purged_at').execute();
  await db.schema.alterTable('staff_accounts').dropColumn('locked_until').execute();
  await db.schema.alterTable('staff_accounts').dropColumn('failed_logins').execute();
}
