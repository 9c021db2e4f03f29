import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../core/audit.js';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../test/support/databases.js';
import type { ArticleRecord } from './article.js';
import { KnowledgeEditorial } from './editorial.js';
import { BuiltinEmbedder } from './embedders/builtin-embedder.js';
import { KnowledgeSearch } from './search.js';
import { SynonymDictionary } from './synonyms.js';
import { VectorIndex } from './vector-index.js';

const engines = await testEngines();
const embedder = new BuiltinEmbedder();
const TODAY = '2026-11-23';

const editor = { name: 'zhang.editor', roles: ['editor'] };
const otherEditor = { name: 'li.editor', roles: ['editor'] };
const reviewer = { name: 'wang.reviewer', roles: ['reviewer'] };
const agent = { name: 'zhao.agent', roles: ['agent'] };

const record: ArticleRecord = {
  id: 'tax-900',
  category: 'tax',
  title: '车船税缴纳',
  question: '车船税在哪里交？',
  variants: ['买了新车车船税怎么缴', '车船税可以在保险公司代缴吗', '车船税逾期没交会怎样'],
  answerShort: '车船税一般在购买交强险时由保险公司代收代缴。',
  answerFull: '车船税一般在购买机动车交通事故责任强制保险时由保险公司代收代缴，完税信息记入保单。',
  department: '市税务局',
  tags: ['车船税'],
  region: '全市',
  effectiveFrom: '2026-01-01',
  expiresAt: null,
  source: { title: '示例：车船税征管指引', url: null },
};

for (const { kind, skip } of engines) {
  describe.skipIf(skip)(`editorial workflow on ${kind}`, () => {
    let handle: TestDatabaseHandle;
    let editorial: KnowledgeEditorial;
    let search: KnowledgeSearch;
    const answered = async (q: string) => {
      await search.refresh();
      return (await search.search(q, { today: TODAY })).find((h) => h.articleId === record.id)?.answerShort;
    };

    beforeAll(async () => {
      handle = await openTestDatabase(kind);
      const index = await VectorIndex.open(handle.db, embedder);
      editorial = new KnowledgeEditorial(handle.db, index);
      search = new KnowledgeSearch(handle.db, index, new SynonymDictionary([]));
    });
    afterAll(async () => handle?.cleanup());

    it('takes a new article from draft through review to published, four eyes required', async () => {
      await expect(editorial.saveDrafts(agent, [record])).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
      expect(await editorial.saveDrafts(editor, [record])).toEqual({ created: 1, updated: 0 });
      expect((await editorial.get(record.id)).status).toBe('draft');
      expect(await answered('车船税在哪里交')).toBeUndefined();

      // An editor cannot publish: not directly, and not by approving.
      await expect(editorial.publishRecords(editor, [record])).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
      await expect(editorial.approve(editor, record.id)).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
      // Nor can anyone approve what has not been submitted.
      await expect(editorial.approve(reviewer, record.id)).rejects.toMatchObject({ code: 'E_CONFLICT' });

      const submitted = await editorial.submit(editor, record.id);
      expect(submitted.status).toBe('in_review');
      expect(submitted.pending).toMatchObject({ revision: 1, status: 'in_review', submittedBy: editor.name });
      expect(await answered('车船税在哪里交')).toBeUndefined();

      // A reviewer who submitted the revision may not approve it.
      const selfReview = { name: editor.name, roles: ['editor', 'reviewer'] };
      await expect(editorial.approve(selfReview, record.id)).rejects.toMatchObject({ code: 'E_FORBIDDEN' });

      const published = await editorial.approve(reviewer, record.id, '口径核对无误');
      expect(published).toMatchObject({ status: 'published', version: 1, pending: null });
      expect(await answered('车船税在哪里交')).toBe(record.answerShort);
    });

    it('keeps the published answer live while the next revision is drafted, rejected and approved', async () => {
      const revised = { ...record, answerShort: '车船税可在投保交强险时由保险公司代收，也可到税务局办税服务厅缴纳。' };
      const draft = await editorial.saveDraft(otherEditor, revised);
      expect(draft).toMatchObject({ status: 'published', version: 1, pending: { revision: 2, status: 'draft' } });
      expect(await answered('车船税在哪里交')).toBe(record.answerShort);
      // Export: the live content, or with `all` the latest (the draft).
      const exported = async (status?: 'all') =>
        (await editorial.listRecords({ status })).find((r) => r.id === record.id)?.answerShort;
      expect(await exported()).toBe(record.answerShort);
      expect(await exported('all')).toBe(revised.answerShort);

      // Optimistic concurrency: saving on top of a stale revision is refused.
      await expect(editorial.saveDraft(editor, revised, 1)).rejects.toMatchObject({ code: 'E_CONFLICT' });

      await editorial.submit(otherEditor, record.id);
      await expect(editorial.reject(reviewer, record.id, '  ')).rejects.toMatchObject({ code: 'E_VALIDATION' });
      const rejected = await editorial.reject(reviewer, record.id, '请补充办税服务厅地址');
      expect(rejected.pending).toMatchObject({ status: 'draft', reviewNote: '请补充办税服务厅地址' });
      expect(await answered('车船税在哪里交')).toBe(record.answerShort);

      await editorial.submit(otherEditor, record.id);
      const live = await editorial.approve(reviewer, record.id);
      expect(live).toMatchObject({ version: 2, pending: null });
      expect(live.record.answerShort).toBe(revised.answerShort);
      expect(await answered('车船税在哪里交')).toBe(revised.answerShort);

      const history = await editorial.history(record.id);
      expect(history.map((r) => [r.revision, r.status])).toEqual([
        [2, 'published'],
        [1, 'superseded'],
      ]);
      const diff = await editorial.diff(record.id, 1, 2);
      expect(diff.map((d) => d.field)).toEqual(['answerShort']);
      expect(
        diff[0]!.parts
          .filter((p) => p.added)
          .map((p) => p.value)
          .join(''),
      ).toContain('办税服务厅');
    });

    it('retires an article: out of search at once, and no longer editable', async () => {
      await editorial.retire(editor, record.id, '政策调整');
      expect(await answered('车船税在哪里交')).toBeUndefined();
      expect((await editorial.get(record.id)).status).toBe('retired');
      await expect(editorial.saveDraft(editor, record)).rejects.toMatchObject({ code: 'E_CONFLICT' });
      await expect(editorial.retire(editor, record.id)).rejects.toMatchObject({ code: 'E_CONFLICT' });
      await expect(editorial.retire(agent, record.id)).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    });

    it('audits every action, in order, with its actor', async () => {
      const trail = await listAudit(handle.db, { targetType: 'knowledge_article', targetId: record.id });
      expect(trail.reverse().map((e) => [e.actor, e.action])).toEqual([
        [editor.name, 'knowledge.article.create'],
        [editor.name, 'knowledge.review.submit'],
        [reviewer.name, 'knowledge.review.approve'],
        [otherEditor.name, 'knowledge.draft.save'],
        [otherEditor.name, 'knowledge.review.submit'],
        [reviewer.name, 'knowledge.review.reject'],
        [otherEditor.name, 'knowledge.review.submit'],
        [reviewer.name, 'knowledge.review.approve'],
        [editor.name, 'knowledge.article.retire'],
      ]);
    });

    it('lists with filters and pagination, and reports missing articles clearly', async () => {
      await editorial.saveDrafts(editor, [
        { ...record, id: 'tax-901', title: '印花税申报' },
        { ...record, id: 'tax-902', title: '契税减免', category: 'real-estate-registration' },
      ]);
      const page = await editorial.list({ status: 'draft', pageSize: 1 });
      expect(page).toMatchObject({ total: 2, page: 1, pageSize: 1 });
      expect(page.items).toHaveLength(1);
      expect((await editorial.list({ category: 'real-estate-registration' })).items.map((i) => i.id)).toEqual([
        'tax-902',
      ]);
      expect((await editorial.list({ q: '印花' })).items.map((i) => i.id)).toEqual(['tax-901']);
      await expect(editorial.get('no-such-article')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
      await expect(editorial.submit(editor, 'no-such-article')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    });
  });
}
