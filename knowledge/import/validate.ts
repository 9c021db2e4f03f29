import { ARTICLE_ID_PATTERN, type ArticleRecord } from '../article.js';

export interface ValidationContext {
  /** Known knowledge_categories codes. */
  categories: ReadonlySet<string>;
  /** Category names (社会保险) to their codes: editors often type the name in the category column. */
  categoryByName?: ReadonlyMap<string, string>;
}

export type ValidationResult = { ok: true; record: ArticleRecord } | { ok: false; errors: string[] };

/**
 * Longest values, in characters. Title and short answer must fit a list row and an SMS; the full answer
 * is long policy text but not a whole document; variants are what citizens type.
 */
export const ARTICLE_LIMITS = {
  title: 200,
  question: 500,
  answerShort: 300,
  answerFull: 20_000,
  department: 100,
  region: 50,
  variants: 50,
  variant: 500,
  tags: 50,
  tag: 50,
  sourceTitle: 300,
  sourceUrl: 2000,
} as const;

const REQUIRED = [
  'id',
  'category',
  'title',
  'question',
  'answerShort',
  'answerFull',
  'department',
  'effectiveFrom',
] as const;

/** Variants are whole questions that may hold commas: only lines and vertical bars separate them. */
const VARIANT_SPLIT = /\r?\n|[|｜]/;
/** Tags are short words: any list punctuation editors use separates them. */
const TAG_SPLIT = /[,，、;；\r\n]/;
/** `2024-01-31`, and the spellings spreadsheets produce: `2024/1/31`, `2024.1.31`, `2024年1月31日`. */
const DATE_PATTERN =
  /^(\d{4})(?:-(\d{1,2})-(\d{1,2})|\/(\d{1,2})\/(\d{1,2})|\.(\d{1,2})\.(\d{1,2})|年(\d{1,2})月(\d{1,2})日?)$/;

const DEFAULT_REGION = '全市';
const KNOWN_CATEGORIES_SHOWN = 5;

/**
 * Checks and normalises one imported article. Accepts both the structured shape (JSON, Markdown: lists as
 * arrays, `source` as an object) and the flat one (CSV, XLSX: lists as separated text, `sourceTitle` and
 * `sourceUrl` columns). Reports every problem at once, one English sentence each, so an editor can fix a
 * row in one pass.
 */
export function validateArticle(raw: Record<string, unknown>, ctx: ValidationContext): ValidationResult {
  const errors: string[] = [];
  const notText = new Set<string>();
  const text = (field: string): string => {
    const value = toText(raw[field]);
    if (value === undefined) {
      errors.push(`${field} must be text, not ${describe(raw[field])}`);
      notText.add(field);
      return '';
    }
    return value;
  };

  const values = Object.fromEntries(REQUIRED.map((field) => [field, text(field)])) as Record<
    (typeof REQUIRED)[number],
    string
  >;
  for (const field of REQUIRED) if (values[field] === '' && !notText.has(field)) errors.push(`${field} is required`);

  const { id } = values;
  if (id && !ARTICLE_ID_PATTERN.test(id))
    errors.push(
      `id "${id}" is invalid: use 2-80 lowercase letters, digits and dashes, starting with a letter or digit`,
    );

  const category = values.category ? resolveCategory(values.category, ctx, errors) : '';

  for (const field of ['title', 'question', 'answerShort', 'answerFull', 'department'] as const)
    checkLength(field, values[field], ARTICLE_LIMITS[field], errors);
  const region = text('region') || DEFAULT_REGION;
  checkLength('region', region, ARTICLE_LIMITS.region, errors);

  const variants = list(raw.variants, 'variants', VARIANT_SPLIT, errors);
  if (variants.length > ARTICLE_LIMITS.variants)
    errors.push(`variants: too many (${variants.length}, at most ${ARTICLE_LIMITS.variants})`);
  variants.forEach((v, i) => checkLength(`variant ${i + 1}`, v, ARTICLE_LIMITS.variant, errors));
  const tags = list(raw.tags, 'tags', TAG_SPLIT, errors);
  if (tags.length > ARTICLE_LIMITS.tags) errors.push(`tags: too many (${tags.length}, at most ${ARTICLE_LIMITS.tags})`);
  tags.forEach((t) => checkLength(`tag "${t}"`, t, ARTICLE_LIMITS.tag, errors));

  const effectiveFrom = values.effectiveFrom ? isoDate('effectiveFrom', raw.effectiveFrom, errors) : null;
  const expiresAt = text('expiresAt') ? isoDate('expiresAt', raw.expiresAt, errors) : null;
  if (effectiveFrom && expiresAt && expiresAt <= effectiveFrom)
    errors.push(`expiresAt ${expiresAt} must be after effectiveFrom ${effectiveFrom}`);

  const source = readSource(raw, errors);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    record: {
      id,
      category,
      title: values.title,
      question: values.question,
      variants,
      answerShort: values.answerShort,
      answerFull: values.answerFull,
      department: values.department,
      tags,
      region,
      effectiveFrom: effectiveFrom!,
      expiresAt,
      source,
    },
  };
}

function resolveCategory(value: string, ctx: ValidationContext, errors: string[]): string {
  if (ctx.categories.has(value)) return value;
  const byName = ctx.categoryByName?.get(value);
  if (byName) return byName;
  const known = [...ctx.categories];
  const shown = known.slice(0, KNOWN_CATEGORIES_SHOWN).join(', ');
  const more = known.length > KNOWN_CATEGORIES_SHOWN ? ` and ${known.length - KNOWN_CATEGORIES_SHOWN} more` : '';
  errors.push(`category "${value}" is unknown (known: ${shown || 'none'}${more})`);
  return value;
}

/** Text of a scalar cell or field, trimmed; undefined when the value is not a scalar. */
function toText(value: unknown): string | undefined {
  if (value === null || value === undefined) return '';
  // Spreadsheets on Windows break lines in a cell with CRLF: store one kind of line break.
  if (typeof value === 'string') return value.replace(/\r\n?/g, '\n').trim();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : utcDate(value);
  return undefined;
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : typeof value;
}

/** Counted in code points, as an editor counts characters (not UTF-16 units). */
const lengthOf = (value: string) => [...value].length;

function checkLength(label: string, value: string, max: number, errors: string[]): void {
  const length = lengthOf(value);
  if (length > max) errors.push(`${label} is too long: ${length} characters (at most ${max})`);
}

/** A list from an array or from separated text; trimmed, empty items dropped, duplicates removed. */
function list(value: unknown, field: string, separator: RegExp, errors: string[]): string[] {
  let items: unknown[];
  if (value === null || value === undefined) items = [];
  else if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') items = value.split(separator);
  else {
    errors.push(`${field} must be a list or text, not ${describe(value)}`);
    return [];
  }
  const result = new Set<string>();
  for (const item of items) {
    const text = toText(item);
    if (text === undefined) errors.push(`${field} must hold text items, not ${describe(item)}`);
    else if (text) result.add(text);
  }
  return [...result];
}

/** A real calendar date as `YYYY-MM-DD`, or null (with the reason recorded). */
function isoDate(field: string, value: unknown, errors: string[]): string | null {
  if (value instanceof Date) return utcDate(value);
  const text = toText(value) ?? '';
  const match = DATE_PATTERN.exec(text);
  if (!match) {
    errors.push(`${field} "${text}" is not a date (use YYYY-MM-DD)`);
    return null;
  }
  const [year, month, day] = [match[1], ...match.slice(2).filter(Boolean)].map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    errors.push(`${field} "${text}" is not a real date`);
    return null;
  }
  return utcDate(date);
}

/** Spreadsheet and YAML dates arrive as UTC midnight: read them in UTC, or a zone west of UTC loses a day. */
function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function readSource(raw: Record<string, unknown>, errors: string[]): ArticleRecord['source'] {
  let title: string | undefined;
  let url: string | undefined;
  const { source } = raw;
  if (source !== null && source !== undefined && source !== '') {
    if (typeof source !== 'object' || Array.isArray(source)) {
      errors.push(`source must be an object with title and url, not ${describe(source)}`);
      return null;
    }
    const s = source as Record<string, unknown>;
    title = toText(s.title);
    url = toText(s.url);
  } else {
    title = toText(raw.sourceTitle);
    url = toText(raw.sourceUrl);
  }
  if (title === undefined || url === undefined) {
    errors.push('source title and url must be text');
    return null;
  }
  if (!title && !url) return null;
  if (!title) errors.push('sourceUrl is given without sourceTitle');
  checkLength('sourceTitle', title, ARTICLE_LIMITS.sourceTitle, errors);
  if (url) {
    checkLength('sourceUrl', url, ARTICLE_LIMITS.sourceUrl, errors);
    if (!isHttpUrl(url)) errors.push(`sourceUrl "${url}" must be an http(s) URL`);
  }
  return { title, url: url || null };
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
