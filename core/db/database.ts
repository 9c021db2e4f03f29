import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import pgvector from 'pgvector';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../logger.js';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrate.js';
import { isAlive } from '../process-alive.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Real PostgreSQL when set; embedded PGlite in `dataDir` otherwise. */
  databaseUrl?: string;
  dataDir: string;
  logger: Logger;
  poolMax?: number;
}

/**
 * Type parsers for this pool. The vector type's oid is only known after the extension exists, so the
 * parser table reads it from here; registering per client instead would race on a pool.
 */
function createTypeParsers() {
  const state = { vectorOid: -1 };
  return {
    state,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === state.vectorOid
          ? (value: string) => pgvector.fromSql(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  };
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const { state, types } = createTypeParsers();
  const started = Date.now();
  let pool: pg.Pool;
  let kind: DatabaseHandle['kind'];
  let closeEngine = async () => {};

  if (options.databaseUrl) {
    kind = 'postgres';
    pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolMax ?? 10, types });
  } else {
    kind = 'pglite';
    const dataDir = path.resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true });
    const releaseLock = await lockDataDir(dataDir);
    const [pglite, { createPgConfig }] = await Promise.all([
      startPglite(dataDir),
      import('@electric-sql/pglite/node-postgres'),
    ]);
    // PGlite is one connection: the pool has exactly one client, so code inside a transaction must use
    // its `trx` (a second checkout would wait forever for the only connection).
    pool = new pg.Pool({ ...createPgConfig(pglite), max: 1, types } as pg.PoolConfig);
    closeEngine = async () => {
      await pglite.close();
      await releaseLock();
    };
  }

  // An idle connection that the server closes (restart, failover, admin) must not crash the process:
  // the pool drops it and the next query opens a new one.
  pool.on('error', (error) => options.logger.warn({ err: error }, 'idle database connection lost'));
  // The pool listens only to idle clients. A checked-out client whose connection the server ends while no
  // query runs on it (between the statements of a transaction, or between checkout and first query) emits
  // 'error' with no listener, and that kills the process: every API instance died in a PostgreSQL restart
  // under load (bench/faults.ts `pg`). Its queries fail on their own (and are logged where handled), and
  // the pool discards it on release, so this only notes it.
  pool.on('connect', (client) =>
    client.on('error', (error) => options.logger.debug({ err: error }, 'database connection ended')),
  );
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const handle: DatabaseHandle = {
    db,
    pool,
    kind,
    close: async () => {
      await db.destroy();
      await closeEngine();
    },
  };
  try {
    const applied = await migrateToLatest(db as Kysely<unknown>);
    const { rows } = await sql<{ oid: number }>`select oid::int as oid from pg_type where typname = 'vector'`.execute(
      db,
    );
    state.vectorOid = rows[0]?.oid ?? -1;
    options.logger.info({ kind, applied, ms: Date.now() - started }, 'database ready');
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
  return handle;
}

/** The embedded engine's own files inside a data directory. */
export const pgliteDirOf = (dataDir: string): string => path.join(path.resolve(dataDir), 'pglite');

/**
 * Starts the embedded engine on a data directory with the extensions the schema uses. `loadDataDir` (a
 * tarball from `dumpDataDir`, scripts/backup.ts) fills a directory that holds no database yet.
 */
export async function startPglite(dataDir: string, loadDataDir?: Blob): Promise<PGlite> {
  // Loaded lazily: a deployment on PostgreSQL never pays for the WebAssembly engine.
  const [{ PGlite }, { vector }, { pg_trgm }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
  ]);
  const dir = pgliteDirOf(dataDir);
  await mkdir(dir, { recursive: true });
  return PGlite.create(dir, { extensions: { vector, pg_trgm }, loadDataDir });
}

/** Another live process holds the embedded data directory (a running gateway, a CLI). */
export class DataDirInUseError extends Error {
  readonly code = 'E_DATA_DIR_IN_USE';
  constructor(
    readonly dataDir: string,
    readonly owner: number,
  ) {
    super(
      `Data directory ${dataDir} is in use by process ${owner}. Stop it, or set MINSHENG_DATA_DIR to another directory.`,
    );
    this.name = 'DataDirInUseError';
  }
}

/**
 * PGlite's files must never be opened by two processes at once. A lock file holds the owner's pid; a
 * lock left by a process that no longer exists (killed with SIGKILL) is taken over. Returns the release.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = path.join(dataDir, 'minsheng.lock');
  const owner = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
    throw new DataDirInUseError(dataDir, owner);
  }
  await writeFile(lockFile, String(process.pid));
  return () => rm(lockFile, { force: true });
}
