import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../test/support/databases.js';
import type { ArticleRecord } from './article.js';
import { ANSWER_CONFIDENCE } from './confidence.js';
import { KnowledgeEditorial, seedDemoArticles } from './editorial.js';
import { BuiltinEmbedder } from './embedders/builtin-embedder.js';
import type { KnowledgeEmbedder } from './embedders/embedder.js';
import { KnowledgeSearch } from './search.js';
import { loadSynonyms, seedSynonyms } from './synonyms.js';
import { VectorIndex, type ReembedStatus } from './vector-index.js';

const engines = await testEngines();
const TODAY = '2026-11-23';
const admin = { name: 'admin', roles: ['admin'] };

const novel: ArticleRecord = {
  id: 'tax-901',
  category: 'tax',
  title: '游艇消费税申报',
  question: '私人游艇的消费税怎么申报？',
  variants: ['买游艇要交消费税吗', '游艇消费税在哪里报'],
  answerShort: '游艇消费税由生产或进口环节缴纳，个人购买时一般不再另行申报。',
  answerFull: '游艇消费税在生产、委托加工和进口环节缴纳。个人购买已税游艇时不再另行申报。',
  department: '市税务局',
  tags: [],
  region: '全市',
  effectiveFrom: '2025-01-01',
  expiresAt: null,
  source: null,
};

/** Counts texts it embeds, and fails from the `failAfter`-th call on when told to. */
class CountingEmbedder implements KnowledgeEmbedder {
  texts = 0;
  calls = 0;
  failAfter = Infinity;
  constructor(private readonly inner: BuiltinEmbedder) {}
  get id() {
    return this.inner.id;
  }
  get dimensions() {
    return this.inner.dimensions;
  }
  async embedDocuments(texts: string[]) {
    if (++this.calls > this.failAfter) throw new Error('embedding endpoint went away');
    this.texts += texts.length;
    return this.inner.embedDocuments(texts);
  }
  embedQuery(text: string) {
    return this.inner.embedQuery(text);
  }
}

const countBy = async (handle: TestDatabaseHandle) =>
  Object.fromEntries(
    (
      await handle.db
        .selectFrom('knowledge_chunks')
        .select(['embedder', (eb) => eb.fn.countAll<string>().as('n')])
        .groupBy('embedder')
        .execute()
    ).map((r) => [r.embedder, Number(r.n)]),
  );

const hnswIndexes = async (handle: TestDatabaseHandle) =>
  (
    await sql<{ indexname: string }>`select indexname from pg_indexes
      where tablename = 'knowledge_chunks' and indexname like 'knowledge_chunks_hnsw_%'`.execute(handle.db)
  ).rows.length;

for (const { kind, skip } of engines) {
  describe.skipIf(skip)(`re-embedding the knowledge base on ${kind}`, () => {
    let handle: TestDatabaseHandle;
    const first = new BuiltinEmbedder();
    // Another embedder with vectors of another length: the column and its indexes must take both.
    const second = new CountingEmbedder(new BuiltinEmbedder({ dimensions: 256 }));

    beforeAll(async () => {
      handle = await openTestDatabase(kind);
      await seedDemoArticles(handle.db, await VectorIndex.open(handle.db, first));
      await seedSynonyms(handle.db);
    });
    afterAll(async () => handle?.cleanup());

    it('switches the whole index at once, catching up what was published and retired meanwhile', async () => {
      const index = await VectorIndex.open(handle.db, second);
      expect(index.pending).toBe(true);
      expect(index.activeEmbedder).toBe(first.id);
      // Until the switch, queries are embedded with the index's own embedder (the built-in one is always here).
      expect(index.queryEmbedder()?.id).toBe(first.id);
      const search = await new KnowledgeSearch(handle.db, index, await loadSynonyms(handle.db)).start();
      const editorial = new KnowledgeEditorial(handle.db, index);
      const before = await countBy(handle);

      const seen: ReembedStatus[] = [];
      const result = await index.reembed(async (status) => {
        seen.push(status);
        if (seen.length !== 2) return;
        // Mid-run: searches still use the complete old index, never a mix.
        expect((await countBy(handle))[first.id]).toBe(before[first.id]);
        const [top] = await search.search('我社保卡弄丢了，怎么补一张', { today: TODAY });
        expect(top).toMatchObject({ articleId: 'social-insurance-001' });
        // Editors keep working: one article published, one retired, while the vectors are rebuilt.
        await editorial.publishRecords(admin, [novel]);
        await editorial.retire(admin, 'social-insurance-001');
      });

      expect(result).toMatchObject({ state: 'switched', target: second.id, dimensions: 256 });
      expect(result!.done).toBe(result!.total);
      expect(seen[0]).toMatchObject({ state: 'running', done: 0 });
      expect(seen.at(-1)).toMatchObject({ state: 'switched' });
      const running = seen.filter((s) => s.state === 'running').map((s) => s.done);
      expect(running).toEqual([...running].sort((a, b) => a - b));
      expect(await index.status()).toMatchObject({ state: 'switched', finishedAt: expect.any(String) });

      expect(index.pending).toBe(false);
      expect(index.activeEmbedder).toBe(second.id);
      const after = await countBy(handle);
      expect(Object.keys(after)).toEqual([second.id]);
      expect(after[second.id]).toBe(result!.total);
      const dims = await sql<{ d: number }>`select distinct vector_dims(embedding) as d from knowledge_chunks`.execute(
        handle.db,
      );
      expect(dims.rows).toEqual([{ d: 256 }]);
      expect(await hnswIndexes(handle)).toBe(1);

      await search.refresh();
      const [top] = await search.search('游艇消费税在哪里申报', { today: TODAY });
      expect(top).toMatchObject({ articleId: novel.id, matched: { kind: expect.any(String) } });
      expect(top!.similarity).toBeGreaterThan(0.3);
      const ids = (await search.search('社保卡丢了怎么补办', { today: TODAY, limit: 10 })).map((h) => h.articleId);
      expect(ids).not.toContain('social-insurance-001');
      search.stop();

      // A second process configured the same way finds nothing to do.
      expect(await (await VectorIndex.open(handle.db, second)).reembed()).toBeUndefined();
    });

    it('leaves the active index untouched when a run fails, and resumes where it stopped', async () => {
      const third = new CountingEmbedder(new BuiltinEmbedder({ dimensions: 128 }));
      third.failAfter = 1;
      const index = await VectorIndex.open(handle.db, third);
      await expect(index.reembed()).rejects.toThrow('embedding endpoint went away');
      expect(await index.status()).toMatchObject({ state: 'failed', error: 'embedding endpoint went away' });
      expect(index.activeEmbedder).toBe(second.id);
      const search = new KnowledgeSearch(
        handle.db,
        await VectorIndex.open(handle.db, second),
        await loadSynonyms(handle.db),
      );
      const [top] = await search.search('游艇消费税在哪里申报', { today: TODAY });
      expect(top).toMatchObject({ articleId: novel.id });

      // A process configured for the new embedder, while the index is still one it cannot embed queries
      // for: lexical ranking only, similarity 0, so nothing is confident enough to be answered outright.
      expect(index.queryEmbedder()).toBeUndefined();
      const lexicalOnly = new KnowledgeSearch(handle.db, index, await loadSynonyms(handle.db));
      const [hit] = await lexicalOnly.search('游艇消费税在哪里申报', { today: TODAY });
      expect(hit).toMatchObject({ articleId: novel.id, similarity: 0, ranks: { vector: null } });
      expect(hit!.confidence).toBeLessThan(ANSWER_CONFIDENCE);

      const embeddedBefore = third.texts;
      third.failAfter = Infinity;
      const result = await index.reembed();
      expect(result).toMatchObject({ state: 'switched', target: third.id });
      // Only what the failed run had not written is embedded again.
      expect(third.texts - embeddedBefore).toBe(result!.total - embeddedBefore);
      expect(Object.keys(await countBy(handle))).toEqual([third.id]);
    });

    it('refuses to write vectors for an index this process cannot embed for', async () => {
      // An instance still configured for the old model after another one switched the index.
      const stale = await VectorIndex.open(handle.db, new BuiltinEmbedder({ dimensions: 128 }));
      expect(stale.pending).toBe(false);
      await (await VectorIndex.open(handle.db, new BuiltinEmbedder({ dimensions: 64 }))).reembed();
      const editorial = new KnowledgeEditorial(handle.db, stale);
      await expect(editorial.publishRecords(admin, [{ ...novel, id: 'tax-902' }])).rejects.toMatchObject({
        code: 'E_UNAVAILABLE',
      });
      expect(await editorial.exists('tax-902')).toBe(false);
    });
  });
}
