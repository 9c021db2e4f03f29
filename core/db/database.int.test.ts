import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabaseHandle } from '../../test/support/databases.js';
import { POSTGRES_ADMIN_URL, postgresUnavailable } from '../../test/support/services.js';

const skip = await postgresUnavailable();

describe.skipIf(skip)('the database pool on PostgreSQL', () => {
  let handle: TestDatabaseHandle | undefined;
  afterAll(async () => handle?.cleanup());

  // A PostgreSQL restart ends every connection, including those a request holds between two statements.
  it('survives the server ending a connection that is checked out and idle', async () => {
    handle = await openTestDatabase('postgres');
    const client = await handle.pool.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const ended = new Promise((resolve) => client.once('end', resolve));
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    } finally {
      await admin.end();
    }
    // Without a listener on the checked-out client, its 'error' event would be thrown here and end the process.
    await ended;
    await expect(client.query('select 1')).rejects.toThrow();
    client.release();
    // The pool dropped the dead connection and opens a new one.
    const { rows: after } = await sql<{ one: number }>`select 1 as one`.execute(handle.db);
    expect(after[0]!.one).toBe(1);
  });
});
