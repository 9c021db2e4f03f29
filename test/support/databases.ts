import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../core/db/database.js';
import { createLogger } from '../../core/logger.js';
import { createTestDatabase, postgresUnavailable } from './services.js';

export type EngineKind = DatabaseHandle['kind'];

export interface TestDatabaseHandle extends DatabaseHandle {
  /** Closes the handle and removes the database (PostgreSQL) or its data directory (PGlite). */
  cleanup(): Promise<void>;
}

/** The engines a database test runs on, each with the reason it must be skipped here (or null). */
export async function testEngines(): Promise<{ kind: EngineKind; skip: string | null }[]> {
  return [
    { kind: 'pglite', skip: null },
    { kind: 'postgres', skip: await postgresUnavailable() },
  ];
}

/** A migrated, empty database on the given engine, private to the caller. */
export async function openTestDatabase(kind: EngineKind): Promise<TestDatabaseHandle> {
  const logger = createLogger({ level: 'silent' });
  if (kind === 'postgres') {
    const created = await createTestDatabase();
    const handle = await openDatabase({ databaseUrl: created.url, dataDir: '', logger });
    return { ...handle, cleanup: async () => (await handle.close(), await created.drop()) };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'minsheng-test-'));
  const handle = await openDatabase({ dataDir: dir, logger });
  return { ...handle, cleanup: async () => (await handle.close(), await rm(dir, { recursive: true, force: true })) };
}
