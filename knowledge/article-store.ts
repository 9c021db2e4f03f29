import { readdir, readFile } from 'node:fs/promises';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../core/db/schema.js';
import type { BuiltinEmbedder } from './embedders/builtin-embedder.js';
import { searchTokens } from './embedders/text-features.js';

/** An article as files and imports carry it (the demo set's JSON shape). */
export interface ArticleInput {
  id: string;
  title: string;
  question: string;
  variants: string[];
  answerShort: string;
  answerFull: string;
  department: string;
  tags: string[];
  region: string;
  effectiveFrom: string;
  expiresAt: string | null;
  source: { title: string; url: string | null } | null;
}

const DEMO_DIR = new URL('./demo/articles/', import.meta.url);

/** One file of the demo knowledge base: a domain and its articles. */
export interface DemoDomain {
  notice: string;
  domain: string;
  domainName: string;
  articles: ArticleInput[];
}

/** The demo knowledge base (knowledge/demo/articles/*.json), in file-name order. */
export async function loadDemoDomains(): Promise<DemoDomain[]> {
  const files = (await readdir(DEMO_DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(new URL(f, DEMO_DIR), 'utf8')) as DemoDomain));
}

/** The searchable phrasings of an article: what a citizen's question is compared with. */
function chunksOf(article: ArticleInput): { kind: 'title' | 'question' | 'variant' | 'answer'; text: string }[] {
  return [
    { kind: 'title', text: article.title },
    { kind: 'question', text: article.question },
    ...article.variants.map((text) => ({ kind: 'variant' as const, text })),
    { kind: 'answer', text: article.answerShort },
  ];
}

/** Writes articles and their chunks in one transaction. */
export async function saveArticles(
  db: Kysely<Database>,
  embedder: BuiltinEmbedder,
  domain: string,
  articles: ArticleInput[],
  status: 'draft' | 'published' = 'published',
): Promise<void> {
  await db.transaction().execute((trx) => writeArticles(trx, embedder, domain, articles, status));
}

/**
 * Writes articles with the given status and (re)builds their chunks: embedding and full-text tokens
 * per phrasing. Chunks are replaced, so a re-run leaves no stale phrasing. Runs in the caller's transaction.
 */
async function writeArticles(
  trx: Transaction<Database>,
  embedder: BuiltinEmbedder,
  domain: string,
  articles: ArticleInput[],
  status: 'draft' | 'published' = 'published',
): Promise<void> {
  const chunkRows = articles.flatMap((a) =>
    chunksOf(a).map((c) => ({
      article_id: a.id,
      kind: c.kind,
      text: c.text,
      tokens: searchTokens(c.text).join(' '),
      embedding: JSON.stringify(embedder.embed(c.text)),
      embedder: embedder.id,
    })),
  );
  for (const a of articles) {
    const row = {
      id: a.id,
      domain,
      title: a.title,
      question: a.question,
      variants: JSON.stringify(a.variants),
      answer_short: a.answerShort,
      answer_full: a.answerFull,
      department: a.department,
      tags: JSON.stringify(a.tags),
      region: a.region,
      status,
      effective_from: a.effectiveFrom,
      expires_at: a.expiresAt,
      source: JSON.stringify(a.source),
    };
    await trx
      .insertInto('knowledge_articles')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ ...row, version: sql`knowledge_articles.version + 1`, updated_at: sql`now()` }),
      )
      .execute();
  }
  await trx
    .deleteFrom('knowledge_chunks')
    .where(
      'article_id',
      'in',
      articles.map((a) => a.id),
    )
    .execute();
  for (let i = 0; i < chunkRows.length; i += 500) {
    const batch = chunkRows.slice(i, i + 500);
    await trx
      .insertInto('knowledge_chunks')
      .values(batch.map((c) => ({ ...c, tokens: sql<string>`to_tsvector('simple', ${c.tokens})` })))
      .execute();
  }
}

/** Loads the demo articles into an empty knowledge base (first start of the embedded default). */
export async function seedDemoArticles(db: Kysely<Database>, embedder: BuiltinEmbedder): Promise<number> {
  const domains = await loadDemoDomains();
  return db.transaction().execute(async (trx) => {
    // Several instances may start at once on one database: only one seeds.
    await sql`select pg_advisory_xact_lock(hashtext('minsheng.seed.knowledge_articles'))`.execute(trx);
    if (await trx.selectFrom('knowledge_articles').select('id').limit(1).executeTakeFirst()) return 0;
    for (const { domain, articles } of domains) await writeArticles(trx, embedder, domain, articles, 'published');
    return domains.reduce((n, d) => n + d.articles.length, 0);
  });
}
