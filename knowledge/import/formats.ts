import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { readCsv } from './csv-reader.js';
import { readJson } from './json-reader.js';
import { readMarkdown } from './markdown-reader.js';
import { ImportFileError, type ImportRow, type ReadProgress } from './rows.js';
import { readXlsx } from './xlsx-reader.js';

export type { ImportRow, ReadProgress } from './rows.js';
export { ImportFileError } from './rows.js';

export const ARTICLE_FORMATS = ['csv', 'xlsx', 'json', 'md'] as const;
export type ArticleFormat = (typeof ARTICLE_FORMATS)[number];

const EXTENSIONS: Record<string, ArticleFormat> = {
  '.csv': 'csv',
  '.xlsx': 'xlsx',
  '.json': 'json',
  '.jsonl': 'json',
  '.ndjson': 'json',
  '.md': 'md',
  '.markdown': 'md',
};

export const isArticleFormat = (value: string): value is ArticleFormat =>
  (ARTICLE_FORMATS as readonly string[]).includes(value);

/** The format a path's extension names; a directory means Markdown files. Undefined when unknown. */
export function formatOfPath(target: string, isDirectory = false): ArticleFormat | undefined {
  if (isDirectory) return 'md';
  return EXTENSIONS[path.extname(target).toLowerCase()];
}

/** An import's input, opened: rows to read, how far reading has got, what was odd about the file. */
export interface ArticleSource {
  path: string;
  format: ArticleFormat;
  progress: ReadProgress;
  /** Things worth telling the editor that did not stop the import (ignored columns...). Filled while reading. */
  warnings: string[];
  rows: AsyncIterable<ImportRow>;
}

/**
 * Opens a file (or a directory of Markdown files) for import. Checks up front that it exists and is
 * readable, and picks the format from `format` or the extension; throws ImportFileError otherwise.
 */
export async function openArticleSource(target: string, format?: ArticleFormat): Promise<ArticleSource> {
  let isDirectory: boolean;
  let size: number;
  try {
    await access(target);
    const info = await stat(target);
    isDirectory = info.isDirectory();
    size = info.size;
  } catch (error) {
    throw new ImportFileError(
      target,
      `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const chosen = format ?? formatOfPath(target, isDirectory);
  if (!chosen)
    throw new ImportFileError(target, `unknown format; name it .csv, .xlsx, .json, .jsonl or .md, or pass --format`);
  if (isDirectory && chosen !== 'md')
    throw new ImportFileError(target, `is a directory; only Markdown (md) is read from a directory`);

  const warnings: string[] = [];
  const progress: ReadProgress =
    chosen === 'md' ? { done: 0, total: null, unit: 'files' } : { done: 0, total: size, unit: 'bytes' };
  const rows =
    chosen === 'csv'
      ? readCsv(target, progress, warnings)
      : chosen === 'xlsx'
        ? readXlsx(target, progress, warnings)
        : chosen === 'json'
          ? readJson(target, progress)
          : readMarkdown(target, progress);
  return { path: target, format: chosen, progress, warnings, rows };
}
