/**
 * The console's 评测 pages in Debian's Chromium: a stored run with one retrieval failure (a colloquial question
 * the live search puts another article first for); an editor opens it, confirms the failure, adds the question
 * to the expected article's variants as a draft; once that is reviewed and published, re-running the run's
 * failures gives a new run in which the suite has none left. The steps build on each other and run in order.
 */
import { mkdir } from 'node:fs/promises';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nlu } from '../assistant/nlu/nlu.js';
import { loadSuiteText } from '../evals/load-suite.js';
import { EvalRunStore, knowledgeVersion } from '../evals/run-store.js';
import { runEvals } from '../evals/runner.js';
import { KnowledgeSearch } from '../knowledge/search.js';
import { loadSynonyms } from '../knowledge/synonyms.js';
import { chromiumMissing, watchedBrowser, type WatchedBrowser } from './support/chromium.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { createStaff, signIn, STAFF_PASSWORD } from './support/staff.js';

const ARTICLE_ID = 'social-insurance-001';
// Made-up slang for "my social-security card is lost, where do I get a new one": the base puts another article first.
const QUESTION = '那个叫啥来着的卡丢了去哪整个新的';
const SUITE = `
suite: retrieval-zh
kind: retrieval
description: one question the base misses
cases:
  - { q: ${QUESTION}, expect: ${ARTICLE_ID} }
`;
const SCREENSHOT = 'test-results/eval-console.png';

describe.skipIf(chromiumMissing)('the eval pages of the knowledge console in Chromium', () => {
  let gw: TestGateway;
  let search: KnowledgeSearch;
  let browser: WatchedBrowser;
  let editor: Page;
  let runId: string;

  beforeAll(async () => {
    gw = await startTestGateway();
    await createStaff(gw, 'eval-editor', ['editor']);
    await createStaff(gw, 'eval-reviewer', ['reviewer']);

    const { db } = gw.database;
    search = await new KnowledgeSearch(db, gw.index, await loadSynonyms(db)).start();
    const hits = await search.search(QUESTION);
    // The premise: today the article is not the first hit (else there is no failure to fix).
    expect(hits[0]?.articleId).not.toBe(ARTICLE_ID);
    const categories = new Map(
      (await db.selectFrom('knowledge_articles').select(['id', 'category']).execute()).map((a) => [a.id, a.category]),
    );
    const { run, outcomes } = await runEvals(
      [loadSuiteText(SUITE, 'retrieval-zh.yaml')],
      {
        // A retrieval-only suite never asks the language understanding.
        nlu: {
          analyze: () => {
            throw new Error('unused');
          },
        } as unknown as Pick<Nlu, 'analyze'>,
        search: (q) => search.search(q),
        categoryOf: (id) => categories.get(id),
        knowledgeVersion: await knowledgeVersion(db),
        embedder: gw.index.activeEmbedder,
      },
      { thresholds: [{ suite: 'retrieval-zh', metric: 'hitAt1', min: 0.8 }] },
    );
    expect(run.suites[0]).toMatchObject({ suite: 'retrieval-zh', cases: 1, failures: 1 });
    await new EvalRunStore(db).save(run, outcomes);
    runId = run.id;

    browser = await watchedBrowser();
    editor = await browser.newPage({ width: 1280, height: 900 });
  });
  afterAll(async () => {
    search?.stop();
    const started = Date.now();
    await Promise.race([browser?.close(), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    if (Date.now() - started >= 15_000) console.warn('[eval console] Chromium did not close within 15 s');
    await gw?.cleanup();
  }, 90_000);

  const failures = () => editor.locator('.eval-failure');

  it('lists the run under 评测 and opens it, with its suite, the report link and the failure', async () => {
    await editor.goto(`${gw.url}/console`);
    await editor.getByLabel('用户名', { exact: true }).fill('eval-editor');
    await editor.getByLabel('密码', { exact: true }).fill(STAFF_PASSWORD);
    await editor.getByRole('button', { name: '登录', exact: true }).click();
    await editor.getByRole('link', { name: '评测', exact: true }).click();
    await editor.waitForURL('**/console#/evals');
    const row = editor.locator(`table.eval-runs tr[data-id="${runId}"]`);
    await row.waitFor();
    expect(await row.locator('.badge').textContent()).toBe('未通过');
    expect(await row.locator('.col-suites').textContent()).toContain('1 个套件');
    expect(await editor.getByRole('link', { name: '评测', exact: true }).getAttribute('aria-current')).toBe('page');

    await row.locator('a').click();
    await editor.waitForURL(`**/console#/evals/${encodeURIComponent(runId)}`);
    const suite = editor.locator('table.eval-suites tr[data-suite="retrieval-zh"]');
    await suite.waitFor();
    expect(await suite.locator('.col-failures').textContent()).toBe('1');
    expect(await suite.locator('.col-metrics').textContent()).toContain('首位命中率0.0%');
    expect(await editor.locator('.thresholds').textContent()).toContain('retrieval-zh · 首位命中率 实际 0.0%');

    const report = editor.getByRole('link', { name: '查看报告' });
    expect(await report.getAttribute('target')).toBe('_blank');
    expect(await report.getAttribute('rel')).toBe('noopener');
    const href = await report.getAttribute('href');
    expect(href).toBe(`/api/evals/runs/${encodeURIComponent(runId)}/report`);
    const reportStatus = await editor.evaluate(async (url) => (await fetch(url)).status, href!);
    expect(reportStatus).toBe(200);

    await expect.poll(() => failures().count()).toBe(1);
    const failure = failures().first();
    expect(await failure.locator('.eval-question').textContent()).toBe(QUESTION);
    const expected = failure.locator('.eval-expected a');
    expect(await expected.textContent()).toBe(ARTICLE_ID);
    expect(await expected.getAttribute('href')).toBe(`#/articles/${ARTICLE_ID}`);
    expect(await failure.locator('.eval-score').textContent()).toMatch(/^0\.\d{3}$/);
    expect(await failure.getByRole('link', { name: '编辑文章' }).getAttribute('href')).toBe(`#/articles/${ARTICLE_ID}`);
  });

  it('records a verdict on the failure', async () => {
    const failure = failures().first();
    const wrong = failure.getByRole('button', { name: '确认错误', exact: true });
    expect(await failure.getByRole('button', { name: '判定正确', exact: true }).count()).toBe(1);
    expect(await failure.getByRole('button', { name: '预期有误', exact: true }).count()).toBe(1);
    await wrong.click();
    await failure.locator('.verdict-badge', { hasText: '已确认：回答错误' }).waitFor();
    expect(await wrong.getAttribute('aria-pressed')).toBe('true');
    expect(await failure.getByRole('button', { name: '判定正确', exact: true }).getAttribute('aria-pressed')).toBe(
      'false',
    );
    // Stored: a reload shows it again.
    await editor.reload();
    await failures().first().locator('.verdict-badge', { hasText: '已确认：回答错误' }).waitFor();
  });

  it('adds the question to the expected article’s variants as a draft', async () => {
    await failures().first().getByRole('button', { name: '加为相似问法' }).click();
    await editor.locator('#toast', { hasText: '已加入相似问法（草稿），提交审核发布后生效' }).waitFor();
    const detail = await gw.editorial.get(ARTICLE_ID);
    expect(detail.status).toBe('published');
    expect(detail.pending?.status).toBe('draft');
    expect(detail.pending?.content.variants).toContain(QUESTION);
    expect(detail.pending?.content.variants.filter((v) => v === QUESTION)).toHaveLength(1);
    // The rest of the content is unchanged.
    const { id: _id, variants: _variants, ...published } = detail.record;
    expect(detail.pending?.content).toMatchObject(published);
  });

  it('once submitted and approved, re-running the failures gives a new run with none left', async () => {
    const submitted = await editor.evaluate(async (id) => {
      const r = await fetch(`/api/knowledge/articles/${id}/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return r.status;
    }, ARTICLE_ID);
    expect(submitted).toBe(200);
    const reviewer = await signIn(gw, 'eval-reviewer');
    const approved = await reviewer('POST', `/articles/${ARTICLE_ID}/approve`, {});
    expect(approved.status).toBe(200);
    expect((await gw.editorial.get(ARTICLE_ID)).pending).toBeNull();

    await editor.getByRole('button', { name: '重跑失败用例' }).click();
    await editor.locator('#toast', { hasText: '已重跑：1 个用例，0 个仍失败' }).waitFor();
    await editor.waitForURL((url) => url.hash.startsWith('#/evals/') && !url.hash.endsWith(encodeURIComponent(runId)));
    await editor.locator('.eval-no-failures', { hasText: '没有失败的用例' }).waitFor();
    expect(await failures().count()).toBe(0);
    const suite = editor.locator('table.eval-suites tr[data-suite="retrieval-zh"]');
    expect(await suite.locator('.col-failures').textContent()).toBe('0');
  });

  it('fits an 800 px window, and the runs list shows both runs; nothing went wrong in the page', async () => {
    await editor.setViewportSize({ width: 800, height: 900 });
    expect(await editor.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);

    await editor.goto(`${gw.url}/console#/evals/${encodeURIComponent(runId)}`);
    await failures().first().waitFor();
    expect(await editor.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    await mkdir('test-results', { recursive: true });
    await editor.screenshot({ path: SCREENSHOT, fullPage: true });

    await editor.getByRole('link', { name: '评测', exact: true }).click();
    await expect.poll(() => editor.locator('table.eval-runs tbody tr').count()).toBe(2);
    expect(await editor.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);

    expect(browser.record.dialogs).toEqual([]);
    expect(browser.record.problems).toEqual([]);
  });
});
