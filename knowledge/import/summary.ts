import type { ArticleSource, ReadProgress } from './formats.js';
import type { ImportSummary, RejectedRow } from './importer.js';

export interface SummaryOptions {
  dryRun: boolean;
  publish: boolean;
  /** Where the full list of rejected rows was written, if anywhere. */
  report?: string;
  seconds: number;
  /** Rejected rows shown in the table; the rest are counted. */
  tableRows: number;
}

/** How far reading has got, for a person: `3.2/10.5 MB (30%)` or `12/40 files`. */
export function describeProgress(progress: ReadProgress): string {
  if (progress.unit === 'files') return `${progress.done}/${progress.total ?? '?'} files`;
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  if (progress.total === null) return `${mb(progress.done)} MB`;
  const percent = progress.total > 0 ? Math.floor((100 * progress.done) / progress.total) : 100;
  return `${mb(progress.done)}/${mb(progress.total)} MB (${percent}%)`;
}

/** The report an import ends with: counts, warnings about the file, and a table of rejected rows. */
export function formatImportSummary(
  source: Pick<ArticleSource, 'path' | 'format' | 'warnings'>,
  summary: ImportSummary,
  options: SummaryOptions,
): string {
  const lines: string[] = [];
  const rate = options.seconds >= 1 ? ` (${Math.round(summary.read / options.seconds)} rows/s)` : '';
  lines.push(
    `Read ${summary.read} rows from ${source.path} (${source.format}) in ${options.seconds.toFixed(1)} s${rate}`,
  );
  for (const warning of source.warnings) lines.push(`Warning: ${warning}`);
  const { created, updated } = summary;
  const written = options.dryRun
    ? `dry run, nothing written: would create ${created}, update ${updated}`
    : `${options.publish ? 'published' : 'saved as drafts'}: created ${created}, updated ${updated}`;
  lines.push(`  accepted  ${summary.accepted}  (${written})`, `  rejected  ${summary.rejected}`);
  if (summary.rejectedRows.length > 0) {
    lines.push('', formatRejectedTable(summary.rejectedRows.slice(0, options.tableRows)));
    const more = summary.rejectedRows.length - options.tableRows;
    if (more > 0) lines.push(`... and ${more} more${options.report ? '' : ' (--report <file> writes them all)'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Rejected rows as an aligned text table: where (file:line or line), id, every reason. */
export function formatRejectedTable(rows: readonly RejectedRow[]): string {
  const cells = rows.map((r) => [r.file ? `${r.file}:${r.line}` : String(r.line), r.id ?? '-', r.reasons.join('; ')]);
  const header = ['LINE', 'ID', 'REASONS'];
  const widths = [0, 1].map((i) => Math.max(header[i]!.length, ...cells.map((c) => displayWidth(c[i]!))));
  const pad = (text: string, width: number) => text + ' '.repeat(width - displayWidth(text));
  const format = (c: string[]) => `${pad(c[0]!, widths[0]!)}  ${pad(c[1]!, widths[1]!)}  ${c[2]}`;
  return [format(header), ...cells.map(format)].join('\n');
}

/** East Asian wide characters take two terminal columns: file names like 社保/a.md would skew the table. */
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/gu;
const displayWidth = (text: string) => [...text].length + (text.match(WIDE)?.length ?? 0);
