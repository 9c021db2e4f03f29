/**
 * The eval runner against a whole gateway's knowledge base (embedded PGlite) and the real language
 * understanding: small suites in the real format, metrics counted case by case, thresholds, runs stored
 * and compared (a search that got worse shows its regressed cases).
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Nlu } from '../assistant/nlu/nlu.js';
import { KnowledgeSearch } from '../knowledge/search.js';
import { loadSynonyms } from '../knowledge/synonyms.js';
import { loadTaxonomy } from '../tickets/taxonomy.js';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';
import { loadSuiteText } from './load-suite.js';
import { EvalRunStore, knowledgeVersion } from './run-store.js';
import { runEvals, type EvalParts } from './runner.js';

const RETRIEVAL = `
suite: mini-retrieval
kind: retrieval
description: five questions
cases:
  - { q: 我社保卡前两天坐地铁弄丢了，里面还有钱，现在咋办啊, expect: social-insurance-001 }
  - { q: 跑外卖的骑手怎么自己买养老保险, expect: social-insurance-002 }
  - { q: 社保从外省转过来，要我自己回去跑手续吗, expect: social-insurance-003 }
  - { q: 我们小公司刚招了个人，社保要在哪个系统给他加上, expect: social-insurance-004 }
  - { q: 火星上的房子怎么办产权证, expect: none }
`;
const DEMAND = `
suite: mini-demand
kind: classification
label: demand-type
description: four messages
cases:
  - { q: 第一次在这边买房，契税是按总价的百分之几交, expect: consultation }
  - { q: 楼下烧烤店油烟太大了，窗户都不敢开，你们管不管, expect: complaint }
  - { q: 我要举报小区门口的黑诊所无证行医, expect: report }
  - { q: 感谢社区网格员小李帮我家老人办好了医保, expect: praise }
`;
const SAFETY = `
suite: mini-safety
kind: safety
description: one of each
emergency:
  - { q: 楼道里着火了，浓烟很大，人出不去, expect: '119' }
ordinary:
  - { q: 楼下饭店做饭油烟熏得人难受, expect: none }
nonAcceptance:
  - { q: 我和公司的劳动争议已经在劳动仲裁委立案了，你们帮我催一下, expect: arbitration }
acceptable:
  - { q: 劳动仲裁需要准备什么材料, expect: none }
`;

describe('the eval runner', () => {
  let gw: TestGateway;
  let search: KnowledgeSearch;
  let parts: EvalParts;

  beforeAll(async () => {
    gw = await startTestGateway();
    const { db } = gw.database;
    search = await new KnowledgeSearch(db, gw.index, await loadSynonyms(db)).start();
    const categories = new Map(
      (await db.selectFrom('knowledge_articles').select(['id', 'category']).execute()).map((a) => [a.id, a.category]),
    );
    const nlu = await Nlu.load(await loadTaxonomy(), { cacheDir: path.join(tmpdir(), 'minsheng-test-nlu-cache') });
    parts = {
      nlu,
      search: (q) => search.search(q),
      categoryOf: (id) => categories.get(id),
      knowledgeVersion: await knowledgeVersion(db),
      embedder: gw.index.activeEmbedder,
    };
  });
  afterAll(async () => {
    search?.stop();
    await gw?.cleanup();
  });

  const suites = () =>
    (
      [
        [RETRIEVAL, 'mini-retrieval'],
        [DEMAND, 'mini-demand'],
        [SAFETY, 'mini-safety'],
      ] as const
    ).map(([text, name]) => loadSuiteText(text, `${name}.yaml`));

  it('measures every case, per suite and per category, and checks the thresholds', async () => {
    let ticks = 0;
    const { run, outcomes } = await runEvals(suites(), parts, {
      thresholds: [
        { suite: 'mini-retrieval', metric: 'hitAt5', min: 0.5 },
        { suite: 'mini-safety', metric: 'falseAlarmRate', max: 0 },
        { suite: 'mini-demand', metric: 'accuracy', min: 1.01 },
      ],
      tick: () => ticks++,
    });
    expect(outcomes).toHaveLength(13);
    expect(ticks).toBe(13);
    const [retrieval, demand, safety] = run.suites;
    expect(retrieval).toMatchObject({ suite: 'mini-retrieval', kind: 'retrieval', cases: 5 });
    expect(retrieval!.metrics.hitAt1).toBeGreaterThanOrEqual(0.75);
    expect(retrieval!.metrics.noAnswerRecall).toBe(1);
    expect(retrieval!.byCategory.map((c) => c.category)).toContain('无答案');
    expect(demand!.confusion?.labels).toEqual(
      expect.arrayContaining(['complaint', 'consultation', 'praise', 'report']),
    );
    expect(demand!.confusion!.matrix.flat().reduce((a, b) => a + b)).toBe(4);
    expect(safety!.metrics).toMatchObject({ emergencyRecall: 1, rightNumber: 1, falseAlarmRate: 0 });
    expect(retrieval!.latencyMs.p95).toBeGreaterThan(0);
    // The impossible floor fails the run, and only it.
    expect(run.thresholds.filter((t) => !t.passed).map((t) => t.metric)).toEqual(['accuracy']);
    expect(run.passed).toBe(false);
  });

  it('stores runs and shows what regressed between two', async () => {
    const store = new EvalRunStore(gw.database.db);
    const first = await runEvals(suites(), parts);
    await store.save(first.run, first.outcomes);
    // A worse search: the right article is never first any more.
    const worse = await runEvals(suites(), { ...parts, search: async (q) => (await search.search(q)).slice(1) });
    await store.save(worse.run, worse.outcomes);

    expect(await store.previous(worse.run.id)).toBe(first.run.id);
    const comparison = await store.compare(first.run.id, worse.run.id);
    const hitAt1 = comparison.metrics.find((m) => m.suite === 'mini-retrieval' && m.metric === 'hitAt1')!;
    expect(hitAt1.delta).toBeLessThan(0);
    expect(comparison.regressed.map((c) => c.expected)).toContain('social-insurance-001');
    expect(comparison.regressed.every((c) => c.suite === 'mini-retrieval')).toBe(true);
    expect(comparison.improved).toEqual([]);
    const listed = await store.list();
    expect(listed.map((r) => r.id).slice(0, 2)).toEqual([worse.run.id, first.run.id]);
    const trend = await store.trend();
    expect(trend.at(-1)!.metrics['mini-retrieval/hitAt1']).toBe(worse.run.suites[0]!.metrics.hitAt1);
  });
});
