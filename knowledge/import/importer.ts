import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { isAppError, type ErrorCode } from '../../core/errors.js';
import type { ArticleRecord } from '../article.js';
import type { ImportRow } from './rows.js';
import { validateArticle, type ValidationContext } from './validate.js';

/** A row that was not imported, and every reason why. */
export interface RejectedRow {
  line: number;
  /** The file it came from, when an import reads several (a Markdown directory). */
  file?: string;
  /** Null when the row could not be read far enough to know it. */
  id: string | null;
  reasons: string[];
}

/** Where accepted records go: the editorial workflow (drafts or direct publication), or nowhere on a dry run. */
export interface ArticleSink {
  write(records: ArticleRecord[]): Promise<{ created: number; updated: number }>;
}

export interface ImportCounts {
  /** Rows read, rejected ones included. */
  read: number;
  accepted: number;
  rejected: number;
}

export interface ImportSummary extends ImportCounts {
  created: number;
  updated: number;
  rejectedRows: RejectedRow[];
}

export interface ImportOptions {
  context: ValidationContext;
  sink: ArticleSink;
  /** Records per write (one transaction each). Default 200. */
  batchSize?: number;
  /** Called after every row; cheap, but the caller should throttle what it draws. */
  onRow?: (counts: ImportCounts) => void;
  /** Stops the import between rows (Ctrl-C); batches already written stay written. */
  signal?: AbortSignal;
}

/**
 * An import that stopped part-way (the database went away, the file became unreadable, it was
 * interrupted). Carries what was done before: batches written until then stay written.
 */
export class ImportStoppedError extends Error {
  readonly code = 'E_IMPORT_STOPPED';
  constructor(
    readonly summary: ImportSummary,
    override readonly cause: unknown,
  ) {
    super(`import stopped after ${summary.read} rows: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ImportStoppedError';
  }
}

/**
 * Errors a write reports about one record (a retired article, a conflicting edit): that record is
 * rejected and the others in its batch written. Anything else (the database went away) stops the import.
 */
const RECORD_ERRORS: readonly ErrorCode[] = ['E_CONFLICT', 'E_VALIDATION', 'E_BAD_REQUEST', 'E_NOT_FOUND'];

/**
 * Validates every row and writes the accepted ones in batches as it goes, so memory stays bounded by a
 * batch whatever the file's size (plus one entry per id, to find duplicates). A second row with an id
 * already used is rejected, naming the line of the first.
 */
export async function importArticles(rows: AsyncIterable<ImportRow>, options: ImportOptions): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? 200;
  const summary: ImportSummary = { read: 0, accepted: 0, rejected: 0, created: 0, updated: 0, rejectedRows: [] };
  const firstSeen = new Map<string, { line: number; file?: string }>();
  let batch: { record: ArticleRecord; row: ImportRow }[] = [];

  const reject = (row: ImportRow, id: string | null, reasons: string[]) => {
    summary.rejected++;
    summary.rejectedRows.push({ line: row.line, ...(row.file ? { file: row.file } : {}), id, reasons });
  };
  /** Accepted records not yet written: queued in the batch, or in a write that failed. */
  let unwritten = 0;
  const flush = async () => {
    const pending = batch;
    batch = [];
    if (pending.length === 0) return;
    try {
      add(summary, await options.sink.write(pending.map((p) => p.record)));
      unwritten -= pending.length;
    } catch (error) {
      if (!isRecordError(error)) throw error;
      // Find the record(s) at fault: write the batch one by one.
      for (const item of pending) {
        try {
          add(summary, await options.sink.write([item.record]));
        } catch (itemError) {
          if (!isRecordError(itemError)) throw itemError;
          summary.accepted--;
          reject(item.row, item.record.id, [(itemError as Error).message]);
        }
        unwritten--;
      }
    }
  };

  try {
    for await (const row of rows) {
      options.signal?.throwIfAborted();
      summary.read++;
      if ('error' in row) {
        reject(row, null, [row.error]);
      } else {
        const id = typeof row.raw.id === 'string' ? row.raw.id.trim() : row.raw.id == null ? '' : String(row.raw.id);
        const result = validateArticle(row.raw, options.context);
        const reasons = result.ok ? [] : [...result.errors];
        const first = id ? firstSeen.get(id) : undefined;
        if (first) reasons.unshift(`duplicate id ${id}: first used on ${where(first)}`);
        else if (id) firstSeen.set(id, { line: row.line, ...(row.file ? { file: row.file } : {}) });
        if (result.ok && reasons.length === 0) {
          summary.accepted++;
          unwritten++;
          batch.push({ record: result.record, row });
          if (batch.length >= batchSize) await flush();
        } else reject(row, id || null, reasons);
      }
      options.onRow?.(summary);
    }
    await flush();
  } catch (error) {
    summary.accepted -= unwritten;
    throw new ImportStoppedError(summary, error);
  }
  options.onRow?.(summary);
  return summary;
}

function isRecordError(error: unknown): boolean {
  return isAppError(error) && RECORD_ERRORS.includes(error.code);
}

function add(summary: ImportSummary, written: { created: number; updated: number }): void {
  summary.created += written.created;
  summary.updated += written.updated;
}

const where = (first: { line: number; file?: string }) =>
  first.file ? `${first.file} line ${first.line}` : `line ${first.line}`;

/** The rejected rows as CSV (UTF-8 with a BOM, so Excel shows the Chinese), one row per rejected row. */
export async function writeRejectedReport(rows: readonly RejectedRow[], file: string): Promise<void> {
  await pipeline(
    rows.map((r) => ({ line: r.line, file: r.file ?? '', id: r.id ?? '', reasons: r.reasons.join('; ') })),
    stringify({ header: true, bom: true, columns: ['line', 'file', 'id', 'reasons'] }),
    createWriteStream(file),
  );
}
