import cliProgress from 'cli-progress';

/** Why a backup or restore stopped; the CLI turns the code into its exit status. */
export type BackupErrorCode =
  'E_IN_USE' | 'E_NOT_EMPTY' | 'E_TOOL_MISSING' | 'E_BAD_ARCHIVE' | 'E_NOTHING_TO_BACK_UP' | 'E_TOOL_FAILED';

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

import type { Io } from '../cli-options.js';

export type { Io };

/** What a backup or restore reports: where, how big, how long, and what the database holds. */
export interface Outcome {
  file: string;
  bytes: number;
  ms: number;
  /** Rows of the tables an operator recognises (conversations, tickets...), read from the database. */
  rows: Record<string, number>;
  /** The newest schema migration the database has. */
  schema?: string;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** One line of progress on stderr (stdout carries only the summary). */
export function say(io: Io, line: string): void {
  io.stderr.write(`${line}\n`);
}

export interface Counter {
  tick(name: string): void;
  stop(): void;
}

/** A bar on a terminal; otherwise a line every tenth of the way (a log file, CI, a test). */
export function counter(io: Io, label: string, total: number): Counter {
  if (io.stderr.isTTY && total > 0) {
    const bar = new cliProgress.SingleBar(
      { stream: io.stderr, format: `${label} {bar} {value}/{total} tables | {name}`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { name: '' });
    let done = 0;
    return { tick: (name) => bar.update(++done, { name }), stop: () => bar.stop() };
  }
  let done = 0;
  const step = Math.max(1, Math.ceil(total / 10));
  return {
    tick(name) {
      done++;
      if (done % step === 0 || done === total) say(io, `${label} ${done}/${total} tables (last: ${name})`);
    },
    stop() {},
  };
}

/** The tables whose row counts tell an operator that what came back is what went in. */
const COUNTED = ['conversations', 'activities', 'tickets', 'handoffs', 'media', 'knowledge_articles', 'staff_accounts'];

/** Row counts and the newest migration, through any query function (PGlite's or node-postgres'). */
export async function describeDatabase(
  query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>,
): Promise<Pick<Outcome, 'rows' | 'schema'>> {
  const { rows: present } = await query(
    `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const names = new Set(present.map((r) => String(r.table_name)));
  const rows: Record<string, number> = {};
  for (const table of COUNTED.filter((t) => names.has(t))) {
    const { rows: counted } = await query(`select count(*)::int as n from ${table}`);
    rows[table] = Number(counted[0]!.n);
  }
  const schema = names.has('kysely_migration')
    ? String((await query(`select max(name) as name from kysely_migration`)).rows[0]?.name ?? '')
    : undefined;
  return { rows, schema: schema || undefined };
}

export function summary(action: 'backup' | 'restore', what: string, outcome: Outcome): string {
  const rows = Object.entries(outcome.rows)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ');
  return (
    `${action === 'backup' ? 'Backed up' : 'Restored'} ${what} ${action === 'backup' ? 'to' : 'from'} ${outcome.file} ` +
    `(${formatBytes(outcome.bytes)}) in ${(outcome.ms / 1000).toFixed(1)} s.\n` +
    `Schema: ${outcome.schema ?? 'none'}. Rows: ${rows || 'none'}.\n`
  );
}
