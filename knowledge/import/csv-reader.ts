import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Transform } from 'node:stream';
import { parse, type CsvError, type Options } from 'csv-parse';
import { headerWarnings, mapHeader, rowToRaw, type HeaderMapping } from './columns.js';
import { LineIndex } from './line-index.js';
import { ImportFileError, type ImportRow, type ReadProgress } from './rows.js';

/**
 * Longest record, in characters: far beyond any valid article (the full answer is at most 20,000), so a
 * longer one is a quote left open swallowing the rows after it. Bounds how much such a row costs.
 */
const MAX_RECORD_CHARS = 256 * 1024;

/** What UTF-8 decoding leaves for bytes that are not UTF-8. */
const NOT_UTF8 = '\uFFFD';
/** Excel on a Chinese Windows saves plain "CSV" in the system code page (GBK), not UTF-8. */
const SAVE_AS_UTF8 = 'save the sheet as "CSV UTF-8" (or as XLSX) and import again';

interface ParsedRecord {
  cells: string[];
  /** Offset in the file where the record (with any blank lines before it) starts. */
  start: number;
}

interface BrokenRecord {
  /** How many records the parser produced before it: those are still good. */
  after: number;
  start: number;
  reason: string;
}

/**
 * Reads a CSV file of articles, streaming. The header row names the fields (English or Chinese, see
 * columns.ts); UTF-8 with or without a BOM. Every row comes with the line it starts on.
 *
 * A row csv-parse cannot read (a quote left open, a stray quote after a quoted value) is reported as one
 * rejected row, and reading starts again on the next line: csv-parse's own recovery skips to wherever the
 * broken quote happens to close, silently losing the rows in between. A row with the wrong number of
 * columns is rejected too. Every other row is read, wherever the broken one is.
 */
export async function* readCsv(path: string, progress: ReadProgress, warnings: string[]): AsyncGenerator<ImportRow> {
  let header: HeaderMapping | undefined;
  let from: { offset: number; line: number } | null = { offset: 0, line: 1 };
  while (from) {
    const segment: { offset: number; line: number } = from;
    const lines: LineIndex = new LineIndex(segment.offset, segment.line);
    const state: { produced: number; lastEnd: number; broken?: BrokenRecord } = {
      produced: 0,
      lastEnd: segment.offset,
    };
    const options: Options<ParsedRecord, string[]> = {
      bom: segment.offset === 0,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_CHARS,
      on_record: (cells, info) => {
        const start = state.lastEnd;
        state.produced++;
        state.lastEnd = segment.offset + info.bytes;
        return { cells, start };
      },
      // Called synchronously while parsing: remember only the first break; records after it are re-read.
      on_skip: (error) => {
        state.broken ??= { after: state.produced, start: state.lastEnd, reason: describeCsvError(error) };
        return undefined;
      },
    };
    // csv-parse's overloads type an on_record that changes the record's shape only together with `columns`.
    const parser = parse(options as unknown as Options);
    const indexer = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        lines.add(chunk);
        progress.done = Math.max(progress.done, lines.end);
        done(null, chunk);
      },
    });
    // Errors (an unreadable file) reach the loop below through the parser; nothing to do here.
    pipeline(createReadStream(path, { start: segment.offset }), indexer, parser, () => {});

    let consumed = 0;
    for await (const record of parser as AsyncIterable<ParsedRecord>) {
      if (state.broken && consumed >= state.broken.after) break;
      consumed++;
      const line = lines.recordLine(record.start);
      if (!header) {
        header = readHeader(path, record.cells);
        warnings.push(...headerWarnings(header));
        continue;
      }
      const columns = header.fields.length;
      const extra = record.cells.slice(columns);
      if (record.cells.length < columns || extra.some((cell) => cell.trim() !== '')) {
        yield { line, error: `expected ${columns} columns as in the header row, found ${record.cells.length}` };
        continue;
      }
      if (record.cells.some((cell) => cell.includes(NOT_UTF8))) {
        yield { line, error: `text that is not UTF-8: ${SAVE_AS_UTF8}` };
        continue;
      }
      const raw = rowToRaw(header, record.cells);
      if (raw) yield { line, raw };
    }

    const { broken } = state;
    if (!broken) break;
    const line: number = lines.recordLine(broken.start);
    if (!header) throw new ImportFileError(path, `cannot read the header row: ${broken.reason}`);
    yield { line, error: broken.reason };
    const next = await nextLineOffset(path, lines.startOf(line));
    from = next === null ? null : { offset: next, line: line + 1 };
  }
  if (!header) throw new ImportFileError(path, 'the file is empty (no header row)');
}

function readHeader(path: string, cells: string[]): HeaderMapping {
  if (cells.some((cell) => cell.includes(NOT_UTF8)))
    throw new ImportFileError(path, `the file is not UTF-8 text: ${SAVE_AS_UTF8}`);
  try {
    return mapHeader(cells);
  } catch (error) {
    throw new ImportFileError(path, (error as Error).message);
  }
}

function describeCsvError(error: CsvError | undefined): string {
  switch (error?.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'unterminated quoted value: a " opens a value that is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'malformed quoted value: a " is left open, or a quote inside a value is not doubled ("")';
    case 'INVALID_OPENING_QUOTE' as CsvError['code']:
      return 'a " inside an unquoted value: quote the whole value and double the quote ("")';
    case 'CSV_MAX_RECORD_SIZE':
      return `row longer than ${MAX_RECORD_CHARS} characters: probably a " left open`;
    default:
      return `unreadable row: ${error?.message ?? 'unknown error'}`;
  }
}

/** Offset of the line after the one starting at `offset`; null at the end of the file. */
async function nextLineOffset(path: string, offset: number): Promise<number | null> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    for (let position = offset; ;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return null;
      const at = buffer.subarray(0, bytesRead).indexOf(0x0a);
      if (at !== -1) return position + at + 1;
      position += bytesRead;
    }
  } finally {
    await file.close();
  }
}
