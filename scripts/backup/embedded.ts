/**
 * Backup and restore of the embedded database (PGlite in MINSHENG_DATA_DIR). Everything the gateway keeps
 * is in that database: conversations, tickets, the media citizens sent (images, voice), reports, accounts.
 * The data directory holds besides it only `nlu-cache/` (classifiers learnt from the shipped examples,
 * rebuilt at start when missing) and the lock file, so the archive is the database alone: PGlite's own
 * `dumpDataDir` tarball (gzip), readable with `tar -tzf`.
 *
 * PGlite is one process's files: the directory is locked while this runs (core/db/database.ts), so a
 * gateway cannot start in the middle, and a running gateway makes this refuse.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DataDirInUseError, lockDataDir, pgliteDirOf, startPglite } from '../../core/db/database.js';
import { writeAtomically } from './archive-file.js';
import { BackupError, describeDatabase, formatBytes, say, type Io, type Outcome } from './report.js';

/** What a data directory may hold besides a database and still count as empty for a restore. */
const NOT_DATA = new Set(['minsheng.lock', 'nlu-cache']);

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

export async function backupEmbedded(dataDir: string, out: string, io: Io): Promise<Outcome> {
  const started = Date.now();
  const dir = path.resolve(dataDir);
  if (!existsSync(path.join(pgliteDirOf(dir), 'PG_VERSION'))) {
    throw new BackupError('E_NOTHING_TO_BACK_UP', `There is no embedded database in ${dir} (MINSHENG_DATA_DIR).`);
  }
  const release = await lock(dir);
  try {
    say(io, `Opening the embedded database in ${dir} (${formatBytes(await sizeOf(pgliteDirOf(dir)))} on disk)...`);
    const pglite = await startPglite(dir);
    try {
      const described = await describeDatabase((text) => pglite.query(text));
      say(io, 'Writing the archive...');
      const tarball = await pglite.dumpDataDir('gzip');
      await writeAtomically(out, (partial) =>
        pipeline(Readable.fromWeb(tarball.stream() as WebReadableStream), createWriteStream(partial)),
      );
      return { file: out, bytes: (await stat(out)).size, ms: Date.now() - started, ...described };
    } finally {
      await pglite.close();
    }
  } finally {
    await release();
  }
}

/**
 * Restores an archive into a data directory that holds no database (or does not exist). With `force` a
 * database already there is set aside as `pglite.before-restore-<time>`, never deleted.
 */
export async function restoreEmbedded(from: string, dataDir: string, io: Io, force: boolean): Promise<Outcome> {
  const started = Date.now();
  const dir = path.resolve(dataDir);
  const archive = await readFile(from);
  if (!archive.subarray(0, 2).equals(GZIP_MAGIC)) {
    throw new BackupError(
      'E_BAD_ARCHIVE',
      archive.subarray(0, 5).toString('latin1') === 'PGDMP'
        ? `${from} is a PostgreSQL dump (pg_dump custom format): set DATABASE_URL to the database to restore it into.`
        : `${from} is not an embedded database archive (npm run backup writes a gzip tarball).`,
    );
  }
  await mkdir(dir, { recursive: true });
  const release = await lock(dir);
  let setAside: string | undefined;
  try {
    const held = (await readdir(dir)).filter((entry) => !NOT_DATA.has(entry));
    if (held.length > 0) {
      if (!force) {
        throw new BackupError(
          'E_NOT_EMPTY',
          `${dir} is not empty (${held.join(', ')}). Restore into a new directory with --data-dir, or add --force ` +
            'to set the database there aside (it is kept as pglite.before-restore-<time>) and restore in its place.',
        );
      }
      if (held.includes('pglite')) {
        setAside = path.join(dir, `pglite.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`);
        await rename(pgliteDirOf(dir), setAside);
        say(io, `Set the database that was in ${dir} aside as ${path.basename(setAside)}.`);
      }
    }
    say(io, `Restoring ${from} (${formatBytes(archive.length)}) into ${dir}...`);
    try {
      const pglite = await startPglite(dir, new Blob([archive]));
      try {
        const described = await describeDatabase((text) => pglite.query(text));
        say(io, `The database in ${dir} takes ${formatBytes(await sizeOf(pgliteDirOf(dir)))} on disk.`);
        return { file: from, bytes: archive.length, ms: Date.now() - started, ...described };
      } finally {
        await pglite.close();
      }
    } catch (error) {
      // Leave the directory as it was: no half-restored database, the set-aside one back in its place.
      await rm(pgliteDirOf(dir), { recursive: true, force: true });
      if (setAside) await rename(setAside, pgliteDirOf(dir));
      throw error;
    }
  } finally {
    await release();
  }
}

async function lock(dir: string): Promise<() => Promise<void>> {
  try {
    return await lockDataDir(dir);
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      throw new BackupError(
        'E_IN_USE',
        `The embedded database in ${dir} is in use by process ${error.owner} (a running gateway or another ` +
          'command). Stop it first: PGlite is one process at a time, and a copy taken under it would not be consistent.',
      );
    }
    throw error;
  }
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}
