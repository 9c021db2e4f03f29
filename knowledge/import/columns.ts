import type { ArticleRecord } from '../article.js';

/**
 * The flat shape of an article, one cell per field, that spreadsheets (CSV, XLSX) carry. Lists become
 * text with separators and the source becomes two columns; `validateArticle` turns them back.
 */
export const FLAT_FIELDS = [
  'id',
  'category',
  'title',
  'question',
  'variants',
  'answerShort',
  'answerFull',
  'department',
  'tags',
  'region',
  'effectiveFrom',
  'expiresAt',
  'sourceTitle',
  'sourceUrl',
] as const;

export type FlatField = (typeof FLAT_FIELDS)[number];

/** The column headings the hotline's editors use in their spreadsheets. */
export const CHINESE_HEADERS: Readonly<Record<FlatField, string>> = {
  id: '编号',
  category: '分类',
  title: '标题',
  question: '标准问',
  variants: '相似问法',
  answerShort: '简短答复',
  answerFull: '完整答复',
  department: '主管部门',
  tags: '标签',
  region: '区域',
  effectiveFrom: '生效日期',
  expiresAt: '失效日期',
  sourceTitle: '依据文件',
  sourceUrl: '依据链接',
};

export type HeaderLanguage = 'en' | 'zh';

/** How exported files join lists into one cell; the validator splits on these (and more). */
export const VARIANT_SEPARATOR = '\n';
export const TAG_SEPARATOR = '、';

/**
 * English names match without regard to case, spaces, dashes or underscores (`answer_short`, `Answer
 * Short`); Chinese ones exactly. Templates often mark required columns (`标题*`, `标题（必填）`): ignored.
 */
const normaliseHeader = (header: string) =>
  header
    .trim()
    .replace(/\s*[*＊]$/, '')
    .replace(/\s*[(（][^)）]*[)）]$/, '')
    .replace(/[\s_-]/g, '')
    .toLowerCase();

const HEADER_LOOKUP = new Map<string, FlatField>(
  FLAT_FIELDS.flatMap((field) => [
    [normaliseHeader(field), field],
    [normaliseHeader(CHINESE_HEADERS[field]), field],
  ]),
);

export interface HeaderMapping {
  /** The field each column holds, by column index; undefined for a column that is not an article field. */
  fields: (FlatField | undefined)[];
  /** Headings that name no field (ignored, reported as a warning). */
  unknown: string[];
  /** Fields named by more than one column: the first one is used. */
  repeated: FlatField[];
}

/** Reads a header row. Throws when it names no article field at all: the file is not an article sheet. */
export function mapHeader(cells: readonly unknown[]): HeaderMapping {
  const seen = new Set<FlatField>();
  const mapping: HeaderMapping = { fields: [], unknown: [], repeated: [] };
  for (const cell of cells) {
    const heading = cellText(cell);
    const field = heading ? HEADER_LOOKUP.get(normaliseHeader(heading)) : undefined;
    if (field && seen.has(field)) mapping.repeated.push(field);
    else if (heading && !field) mapping.unknown.push(heading);
    mapping.fields.push(field && !seen.has(field) ? field : undefined);
    if (field) seen.add(field);
  }
  if (seen.size === 0) {
    throw new Error(
      `the header row names no article field; expected columns such as ${FLAT_FIELDS.slice(0, 4)
        .map((f) => `${f}/${CHINESE_HEADERS[f]}`)
        .join(', ')}`,
    );
  }
  return mapping;
}

/** Warnings worth showing about a header row. */
export function headerWarnings(mapping: HeaderMapping): string[] {
  return [
    ...(mapping.unknown.length ? [`ignored columns: ${mapping.unknown.join(', ')}`] : []),
    ...mapping.repeated.map((f) => `column ${f} appears more than once; the first one is used`),
  ];
}

/** A data row as raw fields; null for a row with nothing in it (spreadsheets keep trailing blank rows). */
export function rowToRaw(mapping: HeaderMapping, cells: readonly unknown[]): Record<string, unknown> | null {
  const raw: Record<string, unknown> = {};
  let empty = true;
  mapping.fields.forEach((field, i) => {
    const value = cells[i];
    if (field === undefined) return;
    raw[field] = value;
    if (cellText(value) !== '') empty = false;
  });
  return empty ? null : raw;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value.trim() : String(value);
}

/** A record's flat cells, dates as `YYYY-MM-DD` text, nothing null (an empty cell is ''). */
export function flattenRecord(record: ArticleRecord): Record<FlatField, string> {
  return {
    id: record.id,
    category: record.category,
    title: record.title,
    question: record.question,
    variants: record.variants.join(VARIANT_SEPARATOR),
    answerShort: record.answerShort,
    answerFull: record.answerFull,
    department: record.department,
    tags: record.tags.join(TAG_SEPARATOR),
    region: record.region,
    effectiveFrom: record.effectiveFrom,
    expiresAt: record.expiresAt ?? '',
    sourceTitle: record.source?.title ?? '',
    sourceUrl: record.source?.url ?? '',
  };
}

/**
 * A record with its keys in the model's order, also inside `source` (jsonb comes back from PostgreSQL
 * with its keys re-ordered): exports of the same content are byte-identical, so they diff cleanly.
 */
export function canonicalRecord(r: ArticleRecord): ArticleRecord {
  return {
    id: r.id,
    category: r.category,
    title: r.title,
    question: r.question,
    variants: r.variants,
    answerShort: r.answerShort,
    answerFull: r.answerFull,
    department: r.department,
    tags: r.tags,
    region: r.region,
    effectiveFrom: r.effectiveFrom,
    expiresAt: r.expiresAt,
    source: r.source && { title: r.source.title, url: r.source.url },
  };
}

/** The heading of a field in the chosen language. */
export const headingOf = (field: FlatField, language: HeaderLanguage): string =>
  language === 'zh' ? CHINESE_HEADERS[field] : field;
