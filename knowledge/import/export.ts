import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import type { ArticleRecord } from '../article.js';
import {
  canonicalRecord,
  FLAT_FIELDS,
  flattenRecord,
  headingOf,
  type FlatField,
  type HeaderLanguage,
} from './columns.js';
import type { ArticleFormat } from './formats.js';
import { articleToMarkdown } from './markdown.js';

export interface ExportOptions {
  format: ArticleFormat;
  /** Column headings of CSV and XLSX: field names (default) or the editors' Chinese headings. */
  headers?: HeaderLanguage;
}

/** Column widths in characters: long text gets room and wraps, codes and dates stay narrow. */
const XLSX_WIDTHS: Record<FlatField, number> = {
  id: 28,
  category: 22,
  title: 30,
  question: 40,
  variants: 40,
  answerShort: 50,
  answerFull: 80,
  department: 20,
  tags: 24,
  region: 10,
  effectiveFrom: 12,
  expiresAt: 12,
  sourceTitle: 32,
  sourceUrl: 32,
};
const DATE_FIELDS = new Set<FlatField>(['effectiveFrom', 'expiresAt']);

/**
 * Writes articles to `target`: a CSV, XLSX or JSON file, or a directory of Markdown files (one per
 * article, named by id). Every format reads back to the same records. Returns how many were written.
 */
export async function exportArticles(
  records: readonly ArticleRecord[],
  target: string,
  options: ExportOptions,
): Promise<number> {
  const headers = options.headers ?? 'en';
  switch (options.format) {
    case 'csv':
      await writeCsv(records, target, headers);
      break;
    case 'xlsx':
      await writeXlsx(records, target, headers);
      break;
    case 'json':
      await writeFile(target, `${JSON.stringify(records.map(canonicalRecord), null, 2)}\n`);
      break;
    case 'md':
      await mkdir(target, { recursive: true });
      for (const record of records) await writeFile(path.join(target, `${record.id}.md`), articleToMarkdown(record));
      break;
  }
  return records.length;
}

/** With a BOM: Excel reads a CSV without one in the system's legacy code page, garbling the Chinese. */
async function writeCsv(records: readonly ArticleRecord[], target: string, headers: HeaderLanguage): Promise<void> {
  await pipeline(
    records.map(flattenRecord),
    stringify({
      header: true,
      bom: true,
      columns: FLAT_FIELDS.map((key) => ({ key, header: headingOf(key, headers) })),
    }),
    createWriteStream(target),
  );
}

/**
 * A sheet editors can work in: bold, frozen header row with a filter, wide wrapped text columns, and real
 * date cells (Excel sorts and filters them as dates). Written streaming, row by row.
 */
async function writeXlsx(records: readonly ArticleRecord[], target: string, headers: HeaderLanguage): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: target,
    useStyles: true,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet(headers === 'zh' ? '知识库' : 'articles', {
    views: [{ state: 'frozen', ySplit: 1 }],
  });
  sheet.columns = FLAT_FIELDS.map((key) => ({
    key,
    header: headingOf(key, headers),
    width: XLSX_WIDTHS[key],
    style: DATE_FIELDS.has(key)
      ? { numFmt: 'yyyy-mm-dd', alignment: { vertical: 'top' } }
      : { alignment: { vertical: 'top', wrapText: true } },
  }));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: FLAT_FIELDS.length } };
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.alignment = { vertical: 'middle' };
  header.commit();
  for (const record of records) {
    const row = flattenRecord(record);
    sheet
      .addRow({
        ...row,
        effectiveFrom: utcDate(record.effectiveFrom),
        expiresAt: record.expiresAt ? utcDate(record.expiresAt) : null,
      })
      .commit();
  }
  sheet.commit();
  await workbook.commit();
}

/** Excel stores days without a zone; exceljs maps them to UTC midnight both ways. */
const utcDate = (isoDate: string) => new Date(`${isoDate}T00:00:00Z`);
