import { readdir, readFile } from 'node:fs/promises';
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Database, KnowledgeArticlesTable } from '../core/db/schema.js';
import type { ArticleContent, ArticleRecord, ArticleStatus } from './article.js';
import { searchTokens } from './embedders/text-features.js';

/** What the knowledge base needs of an embedder when it writes (LangChain's `Embeddings` plus a name). */
export interface DocumentEmbedder {
  /** Names the embedder and its settings: vectors of different ids are never compared. */
  readonly id: string;
  embedDocuments(texts: string[]): Promise<number[][]>;
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

type ChunkKind = 'title' | 'question' | 'variant' | 'answer';

/** The searchable phrasings of an article: what a citizen's question is compared with. */
function chunksOf(content: ArticleContent): { kind: ChunkKind; text: string }[] {
  return [
    { kind: 'title', text: content.title },
    { kind: 'question', text: content.question },
    ...content.variants.map((text) => ({ kind: 'variant' as const, text })),
    { kind: 'answer', text: content.answerShort },
  ];
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
  embedder: DocumentEmbedder,
  items: { record: ArticleRecord; version: number; actor: string }[],
): Promise<void> {
  if (items.length === 0) return;
  const phrasings = items.flatMap(({ record }) => chunksOf(record).map((c) => ({ articleId: record.id, ...c })));
  const vectors = await embedder.embedDocuments(phrasings.map((p) => p.text));
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
  for (let i = 0; i < phrasings.length; i += 500) {
    await trx
      .insertInto('knowledge_chunks')
      .values(
        phrasings.slice(i, i + 500).map((p, j) => ({
          article_id: p.articleId,
          kind: p.kind,
          text: p.text,
          tokens: sql<string>`to_tsvector('simple', ${searchTokens(p.text).join(' ')})`,
          embedding: JSON.stringify(vectors[i + j]),
          embedder: embedder.id,
        })),
      )
      .execute();
  }
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
