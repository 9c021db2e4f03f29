import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import ExcelJS from 'exceljs';
import { headerWarnings, mapHeader, rowToRaw, type HeaderMapping } from './columns.js';
import { ImportFileError, type ImportRow, type ReadProgress } from './rows.js';

/**
 * Reads the first worksheet of an XLSX workbook, streaming (exceljs WorkbookReader: rows are parsed as
 * the zip is inflated, never the whole sheet in memory). The first non-empty row is the header; `line` is
 * the spreadsheet's row number, as the editor sees it. Date cells arrive as dates; the validator makes
 * them `YYYY-MM-DD`.
 */
export async function* readXlsx(path: string, progress: ReadProgress, warnings: string[]): AsyncGenerator<ImportRow> {
  const input = createReadStream(path);
  const counted = input.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        progress.done += chunk.length;
        done(null, chunk);
      },
    }),
  );
  input.on('error', (error) => counted.destroy(error));
  const workbook = utf8SafeWorkbookReader(counted, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    // Styles tell a date cell from a number cell.
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  let header: HeaderMapping | undefined;
  try {
    for await (const sheet of workbook) {
      for await (const row of sheet) {
        const cells = (row.values as unknown[]).slice(1).map(cellValue);
        if (!header) {
          if (cells.every((c) => c === '' || c === undefined)) continue;
          try {
            header = mapHeader(cells);
          } catch (error) {
            throw new ImportFileError(path, `row ${row.number}: ${(error as Error).message}`);
          }
          warnings.push(...headerWarnings(header));
          continue;
        }
        const raw = rowToRaw(header, cells);
        if (raw) yield { line: row.number, raw };
      }
      break; // The first worksheet holds the articles; others may hold notes or lookups.
    }
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    throw new ImportFileError(path, `not a readable XLSX workbook: ${(error as Error).message}`);
  } finally {
    input.destroy();
  }
  if (!header) throw new ImportFileError(path, 'the first worksheet is empty (no header row)');
}

/** A cell's plain value: rich text, hyperlinks and formulas reduced to what the cell shows. */
function cellValue(value: unknown): unknown {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object' || value instanceof Date) return value;
  const cell = value as Record<string, unknown>;
  if (Array.isArray(cell.richText))
    return (cell.richText as { text?: unknown }[]).map((part) => String(part.text ?? '')).join('');
  if ('result' in cell) return cellValue(cell.result);
  if ('text' in cell) return cellValue(cell.text);
  if ('error' in cell) return String(cell.error);
  return value;
}

/** The parts of exceljs 4.4's WorkbookReader that read a zip entry's XML. Internal: checked before use. */
interface ReaderInternals {
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(chunks: AsyncIterable<Buffer | string>, sheetNo: string): Generator<unknown>;
}

/**
 * exceljs 4.4's streaming reader decodes every inflated chunk of XML on its own, so a Chinese character
 * split across two chunks becomes two U+FFFD (exceljs#2084, open): a long answer loses characters at
 * random. Its XML parser passes text chunks through untouched, so this reader hands it text decoded
 * across chunk edges. Patched on this one instance; the XLSX tests catch a version that changes these.
 */
function utf8SafeWorkbookReader(
  input: Readable,
  options: ConstructorParameters<typeof ExcelJS.stream.xlsx.WorkbookReader>[1],
): ExcelJS.stream.xlsx.WorkbookReader {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, options);
  const internals = reader as unknown as ReaderInternals;
  const decodedEntry = <T>(parse: (entry: Readable) => T) => {
    const original = parse.bind(reader);
    return (entry: Readable) => original(entry.setEncoding('utf8'));
  };
  if (typeof internals._parseWorksheet === 'function') {
    internals._parseWorkbook = decodedEntry(internals._parseWorkbook);
    internals._parseSharedStrings = decodedEntry(internals._parseSharedStrings);
    internals._parseStyles = decodedEntry(internals._parseStyles);
    const parseWorksheet = internals._parseWorksheet.bind(reader);
    internals._parseWorksheet = (chunks, sheetNo) => parseWorksheet(decodeUtf8(chunks), sheetNo);
  }
  return reader;
}

async function* decodeUtf8(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}
