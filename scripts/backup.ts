/**
 * `npm run backup` and `npm run restore`: the gateway's data, on the same configuration as `npm start`.
 *
 * Embedded (no DATABASE_URL): the PGlite database in MINSHENG_DATA_DIR, as a gzip tarball (PGlite's
 * `dumpDataDir`); refuses while a gateway runs on the directory. PostgreSQL (DATABASE_URL set): pg_dump's
 * custom format, taken from a running system; restored with pg_restore into an empty database.
 * scripts/backup/embedded.ts and scripts/backup/postgres.ts say what each does; docs/operations.md has the
 * procedures and the restore drill.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../core/config.js';
import { backupEmbedded, restoreEmbedded } from './backup/embedded.js';
import { backupPostgres, restorePostgres } from './backup/postgres.js';
import { BackupError, summary, type BackupErrorCode, type Io } from './backup/report.js';
import { readOptions } from './cli-options.js';

const HELP = `Usage:
  npm run backup -- --out FILE [--data-dir DIR] [--force]
  npm run restore -- --from FILE [--data-dir DIR] [--force]

Backs up or restores the database the gateway is configured with (the same environment as npm start).
Without DATABASE_URL: the embedded database in MINSHENG_DATA_DIR (default ./data), or in --data-dir.
  backup refuses while a gateway runs on the directory; restore goes into a directory without a database
  (--force sets the database there aside as pglite.before-restore-<time> and restores in its place).
With DATABASE_URL: pg_dump --format=custom and pg_restore (the PostgreSQL client tools on PATH). The
  gateways may run during a backup; restore goes into an empty database (--force drops and recreates what
  the archive holds; stop the gateways first).

Options:
  --out FILE        the archive to write (refused if it exists, unless --force)
  --from FILE       the archive to restore
  --data-dir DIR    the embedded data directory instead of MINSHENG_DATA_DIR
  --force           overwrite --out / restore over existing data (see above)
  -h, --help        this help

Exit codes: 0 done; 1 failed; 2 bad options; 3 the data directory is in use by a running process;
4 the target already holds data (or --out exists) and --force was not given; 5 pg_dump or pg_restore is
not on PATH; 6 the file is not an archive of the right kind; 78 invalid configuration.`;

const EXIT: Record<BackupErrorCode, number> = {
  E_TOOL_FAILED: 1,
  E_NOTHING_TO_BACK_UP: 1,
  E_IN_USE: 3,
  E_NOT_EMPTY: 4,
  E_TOOL_MISSING: 5,
  E_BAD_ARCHIVE: 6,
};

class UsageError extends Error {}

interface Options {
  action: 'backup' | 'restore';
  file: string;
  dataDir?: string;
  force: boolean;
}

export function parseOptions(argv: string[]): Options | 'help' {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      out: { type: 'string' },
      from: { type: 'string' },
      'data-dir': { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  if (action === 'backup') {
    if (!values.out) throw new UsageError('backup needs --out FILE');
    if (values.from) throw new UsageError('--from is for restore');
    return { action, file: values.out, dataDir: values['data-dir'], force: values.force };
  }
  if (action === 'restore') {
    if (!values.from) throw new UsageError('restore needs --from FILE');
    if (values.out) throw new UsageError('--out is for backup');
    return { action, file: values.from, dataDir: values['data-dir'], force: values.force };
  }
  throw new UsageError(`the first argument is backup or restore, not ${action ?? 'nothing'}`);
}

export async function main(argv: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  const options = readOptions(parseOptions, argv, HELP, io);
  if (typeof options === 'number') return options;
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 78;
  }
  if (config.databaseUrl && options.dataDir) {
    io.stderr.write('--data-dir is for the embedded database, but DATABASE_URL is set (PostgreSQL).\n');
    return 2;
  }
  const file = path.resolve(options.file);
  try {
    if (options.action === 'backup') {
      if (existsSync(file) && !options.force) {
        throw new BackupError('E_NOT_EMPTY', `${file} exists. Choose another --out, or add --force to replace it.`);
      }
      await mkdir(path.dirname(file), { recursive: true });
      const outcome = config.databaseUrl
        ? await backupPostgres(config.databaseUrl, file, io)
        : await backupEmbedded(options.dataDir ?? config.dataDir, file, io);
      io.stdout.write(
        summary('backup', config.databaseUrl ? 'the PostgreSQL database' : 'the embedded database', outcome),
      );
    } else {
      if (!existsSync(file)) throw new BackupError('E_BAD_ARCHIVE', `${file} does not exist.`);
      const outcome = config.databaseUrl
        ? await restorePostgres(file, config.databaseUrl, io, options.force)
        : await restoreEmbedded(file, options.dataDir ?? config.dataDir, io, options.force);
      io.stdout.write(
        summary('restore', config.databaseUrl ? 'the PostgreSQL database' : 'the embedded database', outcome),
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof BackupError) {
      const verdict = EXIT[error.code] === 1 ? 'failed' : 'refused';
      io.stderr.write(`${options.action} ${verdict}: ${error.message}\n`);
      return EXIT[error.code];
    }
    io.stderr.write(`${options.action} failed: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

// Run as `npm run backup` / `npm run restore`; importing this module (tests) runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr });
}
