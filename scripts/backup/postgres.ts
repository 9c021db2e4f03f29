/**
 * Backup and restore of a PostgreSQL deployment (DATABASE_URL) with the PostgreSQL client tools on PATH:
 * `pg_dump --format=custom` (one consistent snapshot; the gateways may keep running) and `pg_restore`
 * (one transaction: a restore that fails leaves the target as it was). The archive is pg_dump's own
 * format, so a DBA's `pg_restore --list` and selective restores work on it as on any other.
 *
 * The password never goes on a command line (other users can read those): the URL is passed without it
 * and the tools read it from PGPASSWORD.
 */
import { spawn } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { writeAtomically } from './archive-file.js';
import { BackupError, counter, describeDatabase, formatBytes, say, type Io, type Outcome } from './report.js';

const DUMP_MAGIC = 'PGDMP';

export async function backupPostgres(databaseUrl: string, out: string, io: Io): Promise<Outcome> {
  const started = Date.now();
  await requireTool('pg_dump');
  const { size, tables, described, server } = await withClient(databaseUrl, async (client) => ({
    size: Number((await client.query(`select pg_database_size(current_database())::bigint as n`)).rows[0].n),
    tables: await userTables(client),
    described: await describeDatabase((text) => client.query(text)),
    server: String((await client.query('show server_version')).rows[0].server_version),
  }));
  const { url, env } = connection(databaseUrl);
  say(io, `Dumping ${url} (PostgreSQL ${server}, ${formatBytes(size)}, ${tables} tables) with pg_dump...`);
  const progress = counter(io, 'dumped', tables);
  try {
    await writeAtomically(out, (partial) =>
      run('pg_dump', ['--format=custom', '--verbose', `--file=${partial}`, `--dbname=${url}`], env, (line) => {
        const table = /dumping contents of table "(.+)"/.exec(line)?.[1];
        if (table) progress.tick(table);
      }),
    );
  } finally {
    progress.stop();
  }
  return { file: out, bytes: (await stat(out)).size, ms: Date.now() - started, ...described };
}

/**
 * Restores a pg_dump archive into the database at `databaseUrl`, which must hold no tables unless `force`
 * (then the archive's objects are dropped and recreated: `--clean --if-exists`).
 */
export async function restorePostgres(from: string, databaseUrl: string, io: Io, force: boolean): Promise<Outcome> {
  const started = Date.now();
  const head = await firstBytes(from, 5);
  if (head.toString('latin1') !== DUMP_MAGIC) {
    throw new BackupError(
      'E_BAD_ARCHIVE',
      head[0] === 0x1f && head[1] === 0x8b
        ? `${from} is an embedded (PGlite) archive: restore it without DATABASE_URL, into a data directory.`
        : `${from} is not a pg_dump archive in the custom format (npm run backup writes one).`,
    );
  }
  await requireTool('pg_restore');
  const { url, env } = connection(databaseUrl);
  const existing = await withClient(databaseUrl, userTables);
  if (existing > 0 && !force) {
    throw new BackupError(
      'E_NOT_EMPTY',
      `The database ${url} already holds ${existing} tables. Restore into a new, empty database, or add --force ` +
        'to drop and recreate what the archive contains (stop every gateway first).',
    );
  }
  let entries = 0;
  await run(
    'pg_restore',
    ['--list', from],
    env,
    () => {},
    (line) => {
      if (/ TABLE DATA /.test(line)) entries++;
    },
  );
  say(io, `Restoring ${from} (${formatBytes((await stat(from)).size)}, ${entries} tables) into ${url}...`);
  const progress = counter(io, 'restored', entries);
  try {
    await run(
      'pg_restore',
      [
        '--verbose',
        '--exit-on-error',
        '--single-transaction',
        // The target's own role owns what is restored, whatever role owned it where the dump was taken.
        '--no-owner',
        '--no-privileges',
        ...(force ? ['--clean', '--if-exists'] : []),
        `--dbname=${url}`,
        from,
      ],
      env,
      (line) => {
        const table = /processing data for table "(.+)"/.exec(line)?.[1];
        if (table) progress.tick(table);
      },
    );
  } finally {
    progress.stop();
  }
  const described = await withClient(databaseUrl, (client) => describeDatabase((text) => client.query(text)));
  return { file: from, bytes: (await stat(from)).size, ms: Date.now() - started, ...described };
}

/** The start of a file (its format's magic), without reading a dump of many gigabytes into memory. */
async function firstBytes(file: string, count: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(count), 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The URL without its password (shown and passed on the command line), and the environment holding it. */
function connection(databaseUrl: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(databaseUrl);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (password) env.PGPASSWORD = password;
  return { url: parsed.toString(), env };
}

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Ordinary and partitioned tables outside PostgreSQL's own schemas. */
async function userTables(client: pg.Client): Promise<number> {
  const { rows } = await client.query(
    `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
       and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'`,
  );
  return Number(rows[0].n);
}

async function requireTool(tool: string): Promise<void> {
  try {
    await run(tool, ['--version'], process.env, () => {});
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BackupError(
        'E_TOOL_MISSING',
        `${tool} is not on PATH. Install the PostgreSQL client tools of the server's major version or newer ` +
          '(Debian: apt-get install postgresql-client) and run this again.',
      );
    }
    throw error;
  }
}

/** Runs a client tool; each stderr line goes to `onStderr`. Fails with the tool's last words on a non-zero exit. */
function run(
  tool: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onStderr: (line: string) => void,
  onStdout: (line: string) => void = () => {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const last: string[] = [];
    createInterface({ input: child.stdout }).on('line', onStdout);
    createInterface({ input: child.stderr }).on('line', (line) => {
      last.push(line);
      if (last.length > 20) last.shift();
      onStderr(line);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      // --verbose chatter hides the cause: show the tool's error lines (with DETAIL/HINT), else its last lines.
      const errors = last.filter((l) => /error|fatal|detail|hint/i.test(l));
      const said = (errors.length ? errors : last).join('\n');
      reject(new BackupError('E_TOOL_FAILED', `${tool} failed (${signal ?? `exit ${code}`}):\n${said}`));
    });
  });
}
