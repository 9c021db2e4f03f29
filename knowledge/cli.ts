import { stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { loadConfig, type Config } from '../core/config.js';
import { openDatabase, type DatabaseHandle } from '../core/db/database.js';
import { createLogger } from '../core/logger.js';
import { KnowledgeEditorial, type Actor } from './editorial.js';
import { createEmbedder, embedderConfigFromEnv } from './embedders/create-embedder.js';
import { exportArticles } from './import/export.js';
import {
  ARTICLE_FORMATS,
  formatOfPath,
  isArticleFormat,
  openArticleSource,
  type ArticleFormat,
  type ArticleSource,
} from './import/formats.js';
import {
  importArticles,
  ImportStoppedError,
  writeRejectedReport,
  type ImportCounts,
  type ImportSummary,
} from './import/importer.js';
import { dryRunSink, editorialSink } from './import/sinks.js';
import { describeProgress, formatImportSummary } from './import/summary.js';
import { VectorIndex, type ReembedStatus } from './vector-index.js';

/** Exit codes: scripts tell "all imported" from "some rows need fixing" from "nothing could be done". */
export const EXIT = { ok: 0, fatal: 1, rejected: 2 } as const;

/** Where the CLI talks to, and the environment its config is read from (the process's by default). */
export interface KbIo {
  stdout: { write(text: string): unknown };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env?: Record<string, string | undefined>;
  /** Aborts an import between rows (the entry point wires Ctrl-C to it). */
  signal?: AbortSignal;
}

const USAGE = `Knowledge base import, export and re-embedding.

Usage: npm run kb -- <command> [options]

Commands:
  import <path>   Validate articles from a file (or a directory of Markdown files) and save them
  export <path>   Write the knowledge base's articles to a file (a directory for Markdown)
  reembed         Re-embed every published article with the configured embedder (EMBEDDER=...) and
                  switch the index to it; searches use the old vectors until the switch
  help            Show this help

Import options:
  --format csv|xlsx|json|md   Input format (default: from the extension; a directory is Markdown)
  --publish                   Publish at once, without review (content approved elsewhere).
                              Default: save each article as its open draft, for review
  --dry-run                   Validate and count, write nothing
  --report <file>             Write the rejected rows (line, file, id, reasons) as CSV

Export options:
  --format csv|xlsx|json|md   Output format (default: from the extension)
  --status published|all      Published articles only (default), or every article whatever its status
  --headers en|zh             CSV/XLSX column headings: field names (default) or 编号, 标题, ...

Exit codes: 0 everything imported, 2 some rows rejected, 1 fatal error.
The database is the gateway's (DATABASE_URL, or PGlite in MINSHENG_DATA_DIR); stop a gateway on the same
PGlite directory first.
`;

/** Rejected rows printed in the summary; the report file holds all of them. */
const TABLE_ROWS = 50;
/** Without a terminal, a progress line this often (ms). */
const PLAIN_PROGRESS_EVERY = 5_000;

/** Runs one `npm run kb` command; returns the exit code. */
export async function runKb(argv: string[], io: KbIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        publish: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        report: { type: 'string' },
        status: { type: 'string' },
        headers: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, target, ...extra] = positionals;
  if (values.help || command === 'help' || command === undefined) {
    io.stdout.write(USAGE);
    return command === undefined && !values.help ? EXIT.fatal : EXIT.ok;
  }
  if (command === 'reembed') {
    if (target !== undefined || Object.values(values).some((v) => v !== undefined && v !== false))
      return usageError(io, 'reembed takes no arguments');
    try {
      return await runReembed(io);
    } catch (error) {
      io.stderr.write(`kb reembed: ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT.fatal;
    }
  }
  if (command !== 'import' && command !== 'export') return usageError(io, `unknown command "${command}"`);
  if (!target) return usageError(io, `${command} needs a path`);
  if (extra.length > 0) return usageError(io, `unexpected arguments: ${extra.join(' ')}`);
  if (values.format !== undefined && !isArticleFormat(values.format))
    return usageError(io, `--format must be one of ${ARTICLE_FORMATS.join(', ')}`);
  const format = values.format as ArticleFormat | undefined;

  try {
    if (command === 'import') {
      if (values.status || values.headers) return usageError(io, '--status and --headers apply to export');
      return await runImport(io, target, {
        format,
        publish: values.publish,
        dryRun: values['dry-run'],
        report: values.report,
      });
    }
    if (values.publish || values['dry-run'] || values.report)
      return usageError(io, '--publish, --dry-run and --report apply to import');
    const status = values.status ?? 'published';
    if (status !== 'published' && status !== 'all') return usageError(io, '--status must be published or all');
    const headers = values.headers ?? 'en';
    if (headers !== 'en' && headers !== 'zh') return usageError(io, '--headers must be en or zh');
    return await runExport(io, target, { format, status, headers });
  } catch (error) {
    io.stderr.write(`kb ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.fatal;
  }
}

function usageError(io: KbIo, message: string): number {
  io.stderr.write(`kb: ${message}\nRun "npm run kb -- help" for usage.\n`);
  return EXIT.fatal;
}

interface ImportFlags {
  format?: ArticleFormat;
  publish: boolean;
  dryRun: boolean;
  report?: string;
}

async function runImport(io: KbIo, target: string, flags: ImportFlags): Promise<number> {
  // The file first: a wrong path fails at once, before the database is opened.
  const source = await openArticleSource(target, flags.format);
  return withDatabase(io, async ({ db }, config) => {
    const started = Date.now();
    const categories = await db.selectFrom('knowledge_categories').select(['code', 'name']).orderBy('sort').execute();
    const editorial = new KnowledgeEditorial(db, await openIndex(db, config));
    const sink = flags.dryRun
      ? dryRunSink(db)
      : editorialSink(editorial, cliActor(), flags.publish ? 'publish' : 'draft');
    const display = progressDisplay(io, source);
    let summary: ImportSummary;
    let stopped: ImportStoppedError | undefined;
    try {
      summary = await importArticles(source.rows, {
        context: {
          categories: new Set(categories.map((c) => c.code)),
          categoryByName: new Map(categories.map((c) => [c.name, c.code])),
        },
        sink,
        onRow: display.update,
        signal: io.signal,
      });
    } catch (error) {
      if (!(error instanceof ImportStoppedError)) throw error;
      stopped = error;
      summary = error.summary;
    } finally {
      display.stop();
    }
    // A file that fails before its first row (not a workbook, not JSON) is just a fatal error.
    if (stopped && summary.read === 0) throw stopped.cause;
    const seconds = (Date.now() - started) / 1000;
    io.stdout.write(formatImportSummary(source, summary, { ...flags, seconds, tableRows: TABLE_ROWS }));
    if (flags.report) {
      await writeRejectedReport(summary.rejectedRows, flags.report);
      io.stdout.write(`Rejected rows written to ${flags.report}\n`);
    }
    if (stopped) {
      io.stderr.write(
        `kb import: ${stopped.message}\nBatches saved before the stop are kept; importing the file again updates them.\n`,
      );
      return EXIT.fatal;
    }
    return summary.rejected > 0 ? EXIT.rejected : EXIT.ok;
  });
}

interface ExportFlags {
  format?: ArticleFormat;
  status: 'published' | 'all';
  headers: 'en' | 'zh';
}

async function runExport(io: KbIo, target: string, flags: ExportFlags): Promise<number> {
  const isDirectory = await stat(target).then(
    (s) => s.isDirectory(),
    () => target.endsWith(path.sep) || target.endsWith('/'),
  );
  const format = flags.format ?? formatOfPath(target, isDirectory);
  if (!format)
    return usageError(io, `cannot tell the format of ${target}: name it .csv, .xlsx, .json or pass --format`);
  return withDatabase(io, async ({ db }, config) => {
    const editorial = new KnowledgeEditorial(db, await openIndex(db, config));
    const records = await editorial.listRecords({ status: flags.status });
    const count = await exportArticles(records, target, { format, headers: flags.headers });
    const what = flags.status === 'all' ? 'articles (all statuses)' : 'published articles';
    io.stdout.write(`Exported ${count} ${what} to ${target} (${format})\n`);
    return EXIT.ok;
  });
}

/** Opens the gateway's database from the same config, migrated to the latest schema, and closes it after. */
async function runReembed(io: KbIo): Promise<number> {
  return withDatabase(io, async ({ db }, config) => {
    const index = await openIndex(db, config);
    if (!index.pending) {
      io.stdout.write(`The index is already built with ${index.activeEmbedder}: nothing to re-embed.\n`);
      return EXIT.ok;
    }
    const started = Date.now();
    const from = index.activeEmbedder;
    const display = reembedDisplay(io);
    let result: ReembedStatus | undefined;
    try {
      result = await index.reembed((status) => display.update(status));
    } finally {
      display.stop();
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    io.stdout.write(
      `Re-embedded ${result?.total ?? 0} phrasings with ${index.activeEmbedder} in ${seconds} s; the index switched from ${from}.\n`,
    );
    return EXIT.ok;
  });
}

/** The index with the embedder the gateway's config names (the same one the gateway would use). */
async function openIndex(db: DatabaseHandle['db'], config: Config): Promise<VectorIndex> {
  return VectorIndex.open(db, await createEmbedder(embedderConfigFromEnv(config)));
}

/** A progress bar on a terminal; a plain line every few seconds otherwise. */
function reembedDisplay(io: KbIo): { update(status: ReembedStatus): void; stop(): void } {
  if (!io.stderr.isTTY) {
    let last = 0;
    return {
      update({ done, total }) {
        if (Date.now() - last < PLAIN_PROGRESS_EVERY && done < total) return;
        last = Date.now();
        io.stderr.write(`kb reembed: ${done}/${total} phrasings\n`);
      },
      stop() {},
    };
  }
  const bar = terminalBar(
    io,
    `{bar} {percentage}% | {value}/{total} phrasings | {duration_formatted} | ETA {eta_formatted}`,
  );
  let started = false;
  return {
    update({ done, total }) {
      if (!started) bar.start(Math.max(total, 1), done);
      started = true;
      bar.setTotal(Math.max(total, 1));
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

async function withDatabase(
  io: KbIo,
  work: (database: DatabaseHandle, config: Config) => Promise<number>,
): Promise<number> {
  const config = io.env ? loadConfig(io.env) : loadConfig();
  // stdout is the command's report: database logs go to stderr, and only warnings unless asked for more.
  const logger = createLogger({ level: cliLogLevel(config.logLevel), destination: io.stderr });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    return await work(database, config);
  } finally {
    await database.close();
  }
}

const cliLogLevel = (level: Config['logLevel']): Config['logLevel'] => (level === 'info' ? 'warn' : level);

/** The operator, in the audit log: `cli:<os user>`, with the rights of an administrator at the console. */
function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // A container user without a passwd entry: still audited, as cli:unknown.
  }
  return { name: `cli:${user}`, roles: ['admin'] };
}

interface ProgressDisplay {
  update(counts: ImportCounts): void;
  stop(): void;
}

/** A progress bar on a terminal; a plain line every few seconds otherwise (a log file, CI). */
function progressDisplay(io: KbIo, source: ArticleSource): ProgressDisplay {
  const progress = source.progress;
  if (!io.stderr.isTTY) {
    let last = Date.now();
    return {
      update(counts) {
        if (Date.now() - last < PLAIN_PROGRESS_EVERY) return;
        last = Date.now();
        io.stderr.write(
          `kb import: ${counts.read} rows read (${describeProgress(progress)}), ${counts.rejected} rejected\n`,
        );
      },
      stop() {},
    };
  }
  const bar = terminalBar(io, `{bar} {percentage}% | {done} | {rows} rows, {rejected} rejected | {duration_formatted}`);
  // A Markdown directory's file count is only known once the reader has listed it.
  bar.start(progress.total ?? 1, 0, { done: describeProgress(progress), rows: 0, rejected: 0 });
  let last = 0;
  const draw = (counts: ImportCounts) => {
    if (progress.total !== null) bar.setTotal(Math.max(progress.total, 1));
    bar.update(progress.done, { done: describeProgress(progress), rows: counts.read, rejected: counts.rejected });
  };
  let latest: ImportCounts = { read: 0, accepted: 0, rejected: 0 };
  return {
    update(counts) {
      latest = counts;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(counts);
    },
    stop() {
      draw(latest);
      bar.stop();
    },
  };
}

/** The CLI's progress bar on the terminal (stderr: stdout is the command's report). */
function terminalBar(io: KbIo, format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { stream: io.stderr, format, hideCursor: true, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
}

// Run as `npm run kb -- ...` (tsx knowledge/cli.ts); importing this module (tests) runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted (Ctrl-C)')));
  process.exitCode = await runKb(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
  });
}
