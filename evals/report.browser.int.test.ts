/**
 * The eval report in Debian's Chromium (playwright-core): the fixture run renders with its headings, SVG
 * charts and tables; the citizen's `<script>` stays text; the page asks for nothing but its own file.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium, watchedPage } from '../test/support/chromium.js';
import { renderReport, type RunSummary, type TrendPoint } from './report.js';

const SCREENSHOT = 'test-results/eval-report.png';

describe.skipIf(chromiumMissing)('eval report in Chromium', () => {
  let dir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const dialogs: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    const fixture = await readFile(new URL('./fixtures/run-summary.json', import.meta.url), 'utf8');
    const { trend, ...run } = JSON.parse(fixture) as RunSummary & { trend: TrendPoint[] };
    dir = await mkdtemp(path.join(tmpdir(), 'minsheng-eval-report-'));
    const file = path.join(dir, 'report.html');
    await writeFile(file, renderReport(run, trend), 'utf8');
    browser = await launchChromium();
    ({ context, page } = await watchedPage(browser, { dialogs, problems }, { viewport: { width: 1280, height: 900 } }));
    context.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows the report with its sections and the overall result', async () => {
    await expect(page.title()).resolves.toBe('评测报告 · eval-20261123-0930');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('评测报告');
    const sections = await page.getByRole('heading', { level: 2 }).allTextContents();
    expect(sections).toEqual(['阈值', '套件', '趋势', '分类', '混淆矩阵', '失败用例']);
    expect(await page.locator('header .badge').textContent()).toBe('未通过');
    expect(await page.locator('#thresholds tr.miss').count()).toBe(2);
    for (const suite of ['retrieval-zh', 'demand-type-zh', 'safety-zh', 'conversations-zh', 'answers-zh'])
      await expect(page.locator('#suites h3', { hasText: suite }).isVisible()).resolves.toBe(true);
  });

  it('draws the SVG charts', async () => {
    expect(await page.locator('svg').count()).toBe(10);
    const trend = page.locator('#trend svg').first();
    expect((await trend.boundingBox())?.width).toBeGreaterThan(400);
    expect(await trend.locator('circle').count()).toBe(12);
    expect(await trend.locator('polyline').count()).toBe(3);
    const bars = page.locator('#categories svg').first().locator('rect.bar');
    expect(await bars.count()).toBe(16);
    const widths = await Promise.all((await bars.all()).map(async (b) => (await b.boundingBox())?.width ?? 0));
    expect(Math.min(...widths)).toBeGreaterThan(0);
    // Weakest first: the bars grow down the chart.
    expect(widths).toEqual([...widths].sort((a, b) => a - b));
    expect(await page.locator('table.confusion td.diag').count()).toBe(6);
  });

  it('keeps citizen text as text', async () => {
    await expect(page.getByText('<script>alert(1)</script>社保卡丢了怎么补办').isVisible()).resolves.toBe(true);
    await expect(page.getByText('公积金贷款"onerror=alert(2) 最多能贷多少').isVisible()).resolves.toBe(true);
    expect(await page.locator('script, img, iframe').count()).toBe(0);
  });

  it('loads nothing but its own file, raises no dialog and no error', async () => {
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(url).toMatch(/^file:/);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
  });
});
