import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../test/support/databases.js';
import type { ArticleRecord } from './article.js';
import { KnowledgeEditorial, seedDemoArticles } from './editorial.js';
import { BuiltinEmbedder } from './embedders/builtin-embedder.js';
import { KnowledgeSearch } from './search.js';
import { loadSynonyms, seedSynonyms } from './synonyms.js';
import { VectorIndex } from './vector-index.js';

const engines = await testEngines();
const embedder = new BuiltinEmbedder();
const TODAY = '2026-11-23';

const admin = { name: 'admin', roles: ['admin'] };
const article = (id: string, question: string, extra: Partial<ArticleRecord> = {}): ArticleRecord => ({
  id,
  category: 'tax',
  title: question,
  question,
  variants: [],
  answerShort: `${question}的答复`,
  answerFull: `${question}的完整答复，含办理材料与渠道。`,
  department: '测试部门',
  tags: [],
  region: '全市',
  effectiveFrom: '2025-01-01',
  expiresAt: null,
  source: null,
  ...extra,
});

for (const { kind, skip } of engines) {
  describe.skipIf(skip)(`KnowledgeSearch on ${kind}`, () => {
    let handle: TestDatabaseHandle;
    let search: KnowledgeSearch;
    let editorial: KnowledgeEditorial;

    beforeAll(async () => {
      handle = await openTestDatabase(kind);
      const index = await VectorIndex.open(handle.db, embedder);
      expect(await seedDemoArticles(handle.db, index)).toBeGreaterThanOrEqual(120);
      expect(await seedDemoArticles(handle.db, index)).toBe(0); // only into an empty base
      await seedSynonyms(handle.db);
      search = await new KnowledgeSearch(handle.db, index, await loadSynonyms(handle.db)).start();
      editorial = new KnowledgeEditorial(handle.db, index);
    });
    afterAll(async () => {
      search?.stop();
      await handle?.cleanup();
    });

    it('finds the article a citizen asks about, with the phrasing that matched', async () => {
      const [top] = await search.search('我社保卡弄丢了，怎么补一张', { today: TODAY });
      expect(top).toMatchObject({ articleId: 'social-insurance-001' });
      expect(top!.similarity).toBeGreaterThan(0.3);
      expect(top!.matched.text).toBeTruthy();
      expect(top!.answerShort.length).toBeLessThanOrEqual(70);
    });

    it('uses the synonym dictionary: 社会保障卡 finds the article that says 社保卡', async () => {
      const hits = await search.search('社会保障卡遗失补办', { today: TODAY });
      expect(hits[0]!.articleId).toBe('social-insurance-001');
    });

    it('never returns a draft, retired or expired article, and honours the region', async () => {
      await editorial.saveDrafts(admin, [article('test-draft', '量子纠缠通信许可证怎么申请')]);
      await editorial.publishRecords(admin, [
        article('test-expired', '量子纠缠通信许可证过期怎么办', { expiresAt: '2026-01-01' }),
        article('test-future', '量子纠缠通信许可证续期', { effectiveFrom: '2027-01-01' }),
        article('test-district', '量子纠缠通信许可证年检', { region: '南湖区' }),
        article('test-retired', '量子纠缠通信许可证注销'),
      ]);
      await editorial.retire(admin, 'test-retired');
      await search.refresh();

      const ids = (await search.search('量子纠缠通信许可证', { today: TODAY, limit: 10 })).map((h) => h.articleId);
      expect(ids).toContain('test-district');
      for (const hidden of ['test-draft', 'test-expired', 'test-future', 'test-retired'])
        expect(ids).not.toContain(hidden);
      const elsewhere = (await search.search('量子纠缠通信许可证', { today: TODAY, region: '东城区', limit: 10 })).map(
        (h) => h.articleId,
      );
      expect(elsewhere).not.toContain('test-district');
      const there = (await search.search('量子纠缠通信许可证', { today: TODAY, region: '南湖区', limit: 10 })).map(
        (h) => h.articleId,
      );
      expect(there).toContain('test-district');
    });

    it('re-saving an article replaces its phrasings instead of adding to them', async () => {
      const count = async () =>
        Number(
          (
            await handle.db
              .selectFrom('knowledge_chunks')
              .where('article_id', '=', 'test-district')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await count();
      await editorial.publishRecords(admin, [article('test-district', '量子纠缠通信许可证年检', { region: '南湖区' })]);
      expect(await count()).toBe(before);
    });

    it('answers an empty or punctuation-only question with no hits rather than an error', async () => {
      expect(await search.search('？？？', { today: TODAY })).toEqual(expect.any(Array));
    });
  });
}
