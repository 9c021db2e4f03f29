import { readdir, readFile } from 'node:fs/promises';
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Database, KnowledgeArticlesTable } from '../core/db/schema.js';
import { phrasingsOf, type ArticleContent, type ArticleRecord, type ArticleStatus, type Phrasing } from './article.js';

/** Writes phrasings' vectors (knowledge/vector-index.ts: for every embedder the index needs now). */
export interface ChunkWriter {
  writeChunks(trx: Transaction<Database>, phrasings: Phrasing[]): Promise<void>;
}

const DEMO_DIR = new URL('./demo/articles/', import.meta.url);

/** One file of the demo knowledge base: a category and its articles (which carry no category field). */
export interface DemoDomain {
  notice: string;
  domain: string;
  domainName: string;
  articles: Omit<ArticleRecord, 'category'>[];
}

/** The demo knowledge base (knowledge/demo/articles/*.json), in file-name order. */
export async function loadDemoDomains(): Promise<DemoDomain[]> {
  const files = (await readdir(DEMO_DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(new URL(f, DEMO_DIR), 'utf8')) as DemoDomain));
}

/** The demo articles as records (category from their file). */
export async function loadDemoRecords(): Promise<ArticleRecord[]> {
  return (await loadDemoDomains()).flatMap((d) => d.articles.map((a) => ({ ...a, category: d.domain })));
}

/** The article row's columns for some content. */
export function articleColumns(content: ArticleContent) {
  return {
    category: content.category,
    title: content.title,
    question: content.question,
    variants: JSON.stringify(content.variants),
    answer_short: content.answerShort,
    answer_full: content.answerFull,
    department: content.department,
    tags: JSON.stringify(content.tags),
    region: content.region,
    effective_from: content.effectiveFrom,
    expires_at: content.expiresAt,
    source: JSON.stringify(content.source),
  };
}

/** A `date` column's value as `YYYY-MM-DD`. */
export const isoDate = (d: Date | string | null): string | null =>
  d === null ? null : typeof d === 'string' ? d.slice(0, 10) : localDate(d);

/** A `date` column comes back as local midnight: format it in local time, or a zone east of UTC loses a day. */
function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** An article row's content as a record. */
export function recordOf(row: Selectable<KnowledgeArticlesTable>): ArticleRecord {
  return {
    id: row.id,
    category: row.category,
    title: row.title,
    question: row.question,
    variants: row.variants,
    answerShort: row.answer_short,
    answerFull: row.answer_full,
    department: row.department,
    tags: row.tags,
    region: row.region,
    effectiveFrom: isoDate(row.effective_from)!,
    expiresAt: isoDate(row.expires_at),
    source: row.source,
  };
}

/**
 * Makes content the article's live (published) content: the article row and its chunks (embedding and
 * full-text tokens per phrasing), replacing the old chunks so no stale phrasing stays searchable.
 * Runs in the caller's transaction.
 */
export async function writeLive(
  trx: Transaction<Database>,
  chunks: ChunkWriter,
  items: { record: ArticleRecord; version: number; actor: string }[],
): Promise<void> {
  if (items.length === 0) return;
  for (const { record, version, actor } of items) {
    const row = {
      ...articleColumns(record),
      status: 'published' as const,
      version,
      updated_by: actor,
      published_at: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
    };
    await trx
      .insertInto('knowledge_articles')
      .values({ id: record.id, ...row })
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
  }
  await deleteChunks(
    trx,
    items.map((i) => i.record.id),
  );
  await chunks.writeChunks(
    trx,
    items.flatMap(({ record }) => phrasingsOf(record)),
  );
}

/** Takes articles out of search (retired, or never to be answered from again). */
export async function deleteChunks(trx: Transaction<Database>, articleIds: string[]): Promise<void> {
  if (articleIds.length > 0) await trx.deleteFrom('knowledge_chunks').where('article_id', 'in', articleIds).execute();
}

/** The article row for content that has never been published: a draft, not searchable. */
export async function writeUnpublished(
  trx: Transaction<Database>,
  record: ArticleRecord,
  status: Extract<ArticleStatus, 'draft' | 'in_review'>,
  actor: string,
): Promise<void> {
  const row = { ...articleColumns(record), status, updated_by: actor, updated_at: sql<Date>`now()` };
  await trx
    .insertInto('knowledge_articles')
    .values({ id: record.id, ...row, version: 0 })
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute();
}
