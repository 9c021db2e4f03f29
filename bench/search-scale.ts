/**
 * Search latency as the knowledge base grows: the demo articles plus synthetic filler articles up to 1k,
 * 10k and 100k chunks, on PGlite and PostgreSQL. Filler phrasings are recombined from the demo base's own
 * phrasings (so they share its vocabulary and compete for the same words), nine chunks per article.
 * The HNSW index is dropped for the bulk load and rebuilt after it, as a large import would do.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../core/db/schema.js';
import { phrasingsOf } from '../knowledge/article.js';
import { loadDemoRecords, recordOf } from '../knowledge/article-store.js';
import { seedDemoArticles } from '../knowledge/editorial.js';
import { BuiltinEmbedder } from '../knowledge/embedders/builtin-embedder.js';
import { KnowledgeSearch } from '../knowledge/search.js';
import { loadSynonyms, seedSynonyms } from '../knowledge/synonyms.js';
import { VectorIndex } from '../knowledge/vector-index.js';
import { openTestDatabase, type EngineKind } from '../test/support/databases.js';
import { loadSuite } from './retrieval.js';
import { percentile } from './stats.js';
import { seededRandom } from '../test/support/random.js';

export interface ScaleResult {
  engine: EngineKind;
  chunks: number;
  loadSeconds: number;
  p50: number;
  p95: number;
}

/** Title, question, five variants, short answer, one passage of the full answer. */
const CHUNKS_PER_ARTICLE = 9;

async function addFiller(db: Kysely<Database>, index: VectorIndex, from: number, to: number): Promise<void> {
  const phrasings = (await loadDemoRecords()).flatMap((r) => [r.question, ...r.variants]);
  const next = seededRandom(from + 1);
  const pick = () => phrasings[Math.floor(next() * phrasings.length)]!;
  // Half of one phrasing and half of another: plausible words, new combinations.
  const blend = () => {
    const a = pick();
    const b = pick();
    return a.slice(0, Math.ceil(a.length / 2)) + b.slice(Math.floor(b.length / 2));
  };
  for (let start = from; start < to; start += 250) {
    const ids = Array.from({ length: Math.min(250, to - start) }, (_, i) => `filler-${start + i}`);
    await db
      .insertInto('knowledge_articles')
      .values(
        ids.map((id) => ({
          id,
          category: 'urban-management',
          title: blend(),
          question: blend(),
          variants: JSON.stringify([blend(), blend(), blend(), blend(), blend()]),
          answer_short: blend(),
          answer_full: blend() + blend(),
          department: '示例部门',
          tags: '[]',
          region: '全市',
          status: 'published',
          effective_from: '2025-01-01',
          expires_at: null,
          source: 'null',
          version: 1,
        })),
      )
      .execute();
    const rows = await db.selectFrom('knowledge_articles').selectAll().where('id', 'in', ids).execute();
    await db.transaction().execute((trx) => index.writeChunks(trx, rows.map(recordOf).flatMap(phrasingsOf)));
  }
}

async function chunkCount(db: Kysely<Database>): Promise<number> {
  const { n } = await db
    .selectFrom('knowledge_chunks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}

export async function measureSearchScale(
  engines: EngineKind[],
  sizes: number[],
  onProgress: (line: string) => void = () => {},
): Promise<ScaleResult[]> {
  const queries = loadSuite().map((c) => c.q);
  const results: ScaleResult[] = [];
  for (const engine of engines) {
    const database = await openTestDatabase(engine);
    const { db } = database;
    try {
      const index = await VectorIndex.open(db, new BuiltinEmbedder());
      await seedDemoArticles(db, index);
      await seedSynonyms(db);
      let articles = 0;
      for (const size of sizes) {
        const started = performance.now();
        const missing = Math.max(0, Math.ceil((size - (await chunkCount(db))) / CHUNKS_PER_ARTICLE));
        if (missing > 0) {
          await index.bulkLoad(db, () => addFiller(db, index, articles, articles + missing));
          articles += missing;
          await sql`analyze`.execute(db);
        }
        const search = await new KnowledgeSearch(db, index, await loadSynonyms(db)).start();
        const loadSeconds = (performance.now() - started) / 1000;
        const chunks = await chunkCount(db);
        for (const q of queries.slice(0, 20)) await search.search(q); // warm-up
        const times: number[] = [];
        for (const q of queries) {
          const t = performance.now();
          await search.search(q);
          times.push(performance.now() - t);
        }
        search.stop();
        times.sort((a, b) => a - b);
        const r = { engine, chunks, loadSeconds, p50: percentile(times, 50), p95: percentile(times, 95) };
        onProgress(`  ${engine} ${chunks} chunks: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms`);
        results.push(r);
      }
    } finally {
      await database.cleanup();
    }
  }
  return results;
}
