import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ImportFileError, type ImportRow, type ReadProgress } from './rows.js';

/** JSON Lines: one record per line, read as a stream. */
const JSON_LINES = /\.(jsonl|ndjson)$/i;

/**
 * Reads articles from JSON: an array of records (`line` = position in the array, from 1), the demo
 * files' shape `{ domain, articles: [...] }` (the domain is each article's category), or JSON Lines
 * (`.jsonl`, `line` = line number). A JSON document is parsed whole — JSON has no record boundaries to
 * stream on — so large imports should use JSON Lines or CSV.
 */
export function readJson(path: string, progress: ReadProgress): AsyncGenerator<ImportRow> {
  return JSON_LINES.test(path) ? readJsonLines(path, progress) : readJsonDocument(path, progress);
}

async function* readJsonDocument(path: string, progress: ReadProgress): AsyncGenerator<ImportRow> {
  const text = await readFile(path, 'utf8');
  progress.done = progress.total ?? Buffer.byteLength(text);
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ImportFileError(
      path,
      `not valid JSON: ${(error as Error).message} (for one record per line, name the file .jsonl)`,
    );
  }
  const { items, category } = recordsIn(path, data);
  for (const [index, item] of items.entries()) {
    const line = index + 1;
    if (!isObject(item)) yield { line, error: `record ${line} is not an object` };
    else yield { line, raw: category !== undefined && item.category === undefined ? { ...item, category } : item };
  }
}

function recordsIn(path: string, data: unknown): { items: unknown[]; category?: unknown } {
  if (Array.isArray(data)) return { items: data };
  // The demo files: one category per file, articles without a category of their own.
  if (isObject(data) && Array.isArray(data.articles)) return { items: data.articles, category: data.domain };
  throw new ImportFileError(path, 'expected an array of articles, or an object with "domain" and "articles"');
}

async function* readJsonLines(path: string, progress: ReadProgress): AsyncGenerator<ImportRow> {
  const input = createReadStream(path, 'utf8');
  input.on('data', (chunk) => (progress.done += Buffer.byteLength(chunk)));
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const json = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
      if (!json) continue;
      let item: unknown;
      try {
        item = JSON.parse(json);
      } catch (error) {
        yield { line, error: `not valid JSON: ${(error as Error).message}` };
        continue;
      }
      if (isObject(item)) yield { line, raw: item };
      else yield { line, error: 'not a JSON object' };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
