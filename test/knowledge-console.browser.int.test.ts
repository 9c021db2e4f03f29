/**
 * The knowledge editors' console in Debian's Chromium (playwright-core): an editor and a reviewer, each in
 * their own browser context, take a new article from draft to published, edit it again, compare revisions
 * and retire it; untrusted article text renders as text; nothing is loaded from anywhere but the gateway.
 * The steps build on each other and run in order.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../core/audit.js';
import { chromiumMissing, launchChromium, watchedPage } from './support/chromium.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const PASSWORD = 'correct-horse-battery';
const ARTICLE_ID = 'tax-960';
const XSS_ID = 'tax-990';
const XSS_TITLE = '<img src=x onerror=alert(1)>房产税说明';
// The copy in docs/screenshots/ is refreshed by hand from this one, so a test run leaves the tree clean.
const SCREENSHOT = 'test-results/knowledge-console.png';

describe.skipIf(chromiumMissing)('knowledge console in Chromium', () => {
  let gw: TestGateway;
  let browser: Browser;
  let editorContext: BrowserContext;
  let reviewerContext: BrowserContext;
  let editor: Page;
  let reviewer: Page;
  const hosts = new Set<string>();
  const dialogs: string[] = [];
  const problems: string[] = [];

  /** Records every request, native dialog, page error and CSP violation of a context's pages. */
  async function newContext(): Promise<{ context: BrowserContext; page: Page }> {
    const watched = await watchedPage(
      browser,
      { dialogs, problems },
      { viewport: { width: 1280, height: 900 }, timeoutMs: 10_000 },
    );
    watched.context.on('request', (r) => hosts.add(new URL(r.url()).host));
    return watched;
  }

  async function signIn(page: Page, username: string, password = PASSWORD) {
    await page.getByLabel('用户名', { exact: true }).fill(username);
    await page.getByLabel('密码', { exact: true }).fill(password);
    await page.getByRole('button', { name: '登录', exact: true }).click();
  }

  const meta = (page: Page) => page.locator('.article-meta');
  const summary = (page: Page) => page.locator('p.summary').textContent();

  beforeAll(async () => {
    gw = await startTestGateway();
    for (const [username, displayName, roles] of [
      ['editor1', '王编辑', ['editor']],
      ['reviewer1', '李审核', ['reviewer']],
    ] as const)
      await gw.accounts.create(SYSTEM_ACTOR, { username, displayName, password: PASSWORD, roles: [...roles] });
    // Untrusted text in every field the console shows.
    await gw.editorial.publishRecords(SYSTEM_ACTOR, [
      {
        id: XSS_ID,
        category: 'tax',
        title: XSS_TITLE,
        question: '<b>房产税</b>怎么交？',
        variants: ['<svg onload=alert(2)>'],
        answerShort: '<script>alert(3)</script>按年计征。',
        answerFull: '<iframe src="https://example.com"></iframe>房产税按年计征，分期缴纳。',
        department: '<a href="javascript:alert(4)">市税务局</a>',
        tags: ['<i>房产税</i>'],
        region: '全市',
        effectiveFrom: '2025-01-01',
        expiresAt: null,
        source: { title: '<u>示例</u>', url: 'https://example.gov.cn/fcs' },
      },
    ]);
    browser = await launchChromium();
    ({ context: editorContext, page: editor } = await newContext());
    ({ context: reviewerContext, page: reviewer } = await newContext());
  });
  afterAll(async () => {
    // Chromium's close has been seen to hang once in CI after every test passed: give it 15 s, then
    // clean up the gateway regardless (the browser process dies with the test worker).
    const started = Date.now();
    await Promise.race([browser?.close(), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    if (Date.now() - started >= 15_000) console.warn('[knowledge console] Chromium did not close within 15 s');
    await gw?.cleanup();
  }, 90_000);

  it('serves the console with a strict CSP, no inline script and no innerHTML, beside the web chat', async () => {
    for (const path of [
      '/console',
      '/console/console.mjs',
      '/console/console.css',
      '/common/dom.mjs',
      '/common/base.css',
    ]) {
      const response = await fetch(`${gw.url}${path}`);
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect((await fetch(`${gw.url}/console`)).headers.get('cache-control')).toBe('no-cache');
    expect((await fetch(`${gw.url}/console/console.mjs`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${gw.url}/`)).status).toBe(200);
    const html = await (await fetch(`${gw.url}/console`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // The console's own files and those it shares with the desk and the join page.
    for (const dir of ['web/console', 'web/common'])
      for (const file of await readdir(dir))
        expect(await readFile(`${dir}/${file}`, 'utf8'), file).not.toMatch(
          /\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write/,
        );
  });

  it('signs in after a wrong password and shows the user, roles and the articles', async () => {
    await editor.goto(`${gw.url}/console`);
    await signIn(editor, 'editor1', 'not-the-password');
    await expect.poll(() => editor.getByRole('alert').first().textContent()).toContain('用户名或密码错误');
    await signIn(editor, 'editor1');
    await editor.locator('.user-name', { hasText: '王编辑' }).waitFor();
    expect(await editor.locator('.roles').textContent()).toBe('编辑');

    const all = await gw.editorial.list({});
    await expect.poll(() => summary(editor)).toContain(`共 ${all.total} 条`);
    expect(await editor.locator('table.articles tbody tr').count()).toBe(20);

    const labour = await gw.editorial.list({ category: 'labour' });
    expect(labour.total).toBeGreaterThan(0);
    await editor.getByLabel('分类', { exact: true }).selectOption({ label: '劳动关系与欠薪' });
    await expect.poll(() => summary(editor)).toContain(`共 ${labour.total} 条`);
    const categories = await editor.locator('table.articles td.col-category').allTextContents();
    expect(categories).toHaveLength(labour.total);
    expect(new Set(categories)).toEqual(new Set(['劳动关系与欠薪']));
    await editor.getByRole('button', { name: '重置' }).click();
    await expect.poll(() => summary(editor)).toContain(`共 ${all.total} 条`);
  });

  it('renders article text containing HTML as text, in the list, the editor and the preview', async () => {
    await editor.getByLabel('关键词').fill(XSS_ID);
    await editor.getByRole('button', { name: '搜索' }).click();
    const link = editor.locator(`tr[data-id="${XSS_ID}"] a.title-link`);
    expect(await link.textContent()).toBe(XSS_TITLE);
    await link.click();
    await expect.poll(() => editor.locator('h1.article-title').textContent()).toBe(XSS_TITLE);
    expect(await editor.getByLabel('标题', { exact: true }).inputValue()).toBe(XSS_TITLE);
    expect(await editor.locator('.bubble.user').textContent()).toBe('<b>房产税</b>怎么交？');
    expect(await editor.locator('.bubble.sms').textContent()).toContain('<script>alert(3)</script>');
    expect(await editor.locator('.chat-preview').textContent()).toContain('<iframe src="https://example.com">');
    for (const tag of ['img', 'svg', 'iframe', 'b', 'i', 'u', 'script:not([src])', 'a[href^="javascript"]'])
      expect(await editor.locator(`#view ${tag}`).count(), tag).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('lets an editor create a draft (checking required fields), save it and submit it, but not approve it', async () => {
    await editor.locator('nav a', { hasText: '知识条目' }).click();
    await editor.getByRole('link', { name: '新建条目' }).click();
    await editor.getByRole('button', { name: '创建草稿' }).click();
    await expect.poll(() => editor.locator('.form-message').textContent()).toContain('请先修正标出的问题');
    expect(await editor.locator('.field-error', { hasText: '此项为必填项' }).count()).toBeGreaterThanOrEqual(5);

    await editor.getByLabel('编号').fill('Tax 960');
    await editor.getByLabel('标题', { exact: true }).fill('个人所得税年度汇算办理');
    await editor.getByLabel('分类', { exact: true }).selectOption({ label: '税务' });
    await editor.getByLabel('主管部门').fill('市税务局');
    await editor.getByLabel('标准问').fill('个人所得税年度汇算怎么办理？');
    await editor.getByLabel('相似问法').fill('个税汇算清缴在哪里办\n个税退税怎么申请');
    await editor
      .getByLabel('简短答复')
      .fill('每年3月1日至6月30日，可通过“个人所得税”App办理年度汇算，也可到办税服务厅办理。');
    await editor
      .getByLabel('完整答复')
      .fill('纳税人可在每年3月1日至6月30日办理上一年度的个人所得税综合所得年度汇算。推荐使用“个人所得税”App自行办理。');
    await editor.getByLabel('生效日期').fill('2025-01-01');
    await editor.getByLabel('政策依据（文件名称）').fill('示例：个人所得税年度汇算办税指引');
    await editor.getByRole('button', { name: '创建草稿' }).click();
    await expect
      .poll(() => editor.locator('.field-error').allTextContents())
      .toContain('编号只能包含小写字母、数字和连字符（2–80 个字符）。');
    await editor.getByLabel('编号').fill(ARTICLE_ID);
    await editor.getByRole('button', { name: '创建草稿' }).click();
    await editor.waitForURL(`**/console#/articles/${ARTICLE_ID}`);
    await meta(editor).getByText('草稿', { exact: true }).waitFor();

    await editor
      .getByLabel('完整答复')
      .fill(
        '纳税人可在每年3月1日至6月30日办理上一年度的个人所得税综合所得年度汇算。推荐使用“个人所得税”App自行办理，也可委托单位或到办税服务厅办理。',
      );
    await editor.getByRole('button', { name: '保存草稿' }).click();
    await editor.locator('#toast', { hasText: '草稿已保存' }).waitFor();
    await editor.getByRole('button', { name: '提交审核' }).click();
    await meta(editor).getByText('审核中', { exact: true }).waitFor();
    expect(await editor.getByRole('button', { name: '审核通过' }).count()).toBe(0);

    // The server is the authority: the button is hidden, and the call is refused anyway.
    const forced = await editor.evaluate(async (id) => {
      const r = await fetch(`/api/knowledge/articles/${id}/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return r.status;
    }, ARTICLE_ID);
    expect(forced).toBe(403);
  });

  it('lets a reviewer in another browser context approve it', async () => {
    await reviewer.goto(`${gw.url}/console#/articles/${ARTICLE_ID}`);
    await signIn(reviewer, 'reviewer1');
    await meta(reviewer).getByText('审核中', { exact: true }).waitFor();
    await reviewer.getByRole('button', { name: '审核通过' }).click();
    const dialog = reviewer.getByRole('dialog');
    await dialog.getByLabel('备注（可选）').fill('口径已核对。');
    await dialog.getByRole('button', { name: '审核通过' }).click();
    await meta(reviewer).getByText('已发布', { exact: true }).waitFor();
    expect((await gw.editorial.get(ARTICLE_ID)).status).toBe('published');
  });

  it('finds the published article when trying a question, with its score, and opens it', async () => {
    await editor.locator('nav a', { hasText: '试一试' }).click();
    await editor.getByLabel('市民的问题').fill('个人所得税年度汇算怎么办理');
    await editor.getByRole('button', { name: '试一试', exact: true }).click();
    const hit = editor.locator(`li.hit[data-id="${ARTICLE_ID}"]`);
    await hit.waitFor();
    expect(await hit.locator('.score strong').textContent()).toMatch(/^0\.\d{4}$/);
    expect(Number(await hit.locator('meter').getAttribute('value'))).toBeGreaterThan(0.3);
    expect(await hit.locator('.short').textContent()).toContain('个人所得税');
    await hit.locator('a.hit-title').click();
    await expect.poll(() => editor.locator('h1.article-title').textContent()).toBe('个人所得税年度汇算办理');
  });

  it('on a conflicting save offers to reload; a saved edit shows the pending badge and the preview', async () => {
    // Someone else opens a new revision while the editor has the published article open.
    const other = await reviewer.evaluate(async (id) => {
      const detail = await (await fetch(`/api/knowledge/articles/${id}`)).json();
      const r = await fetch(`/api/knowledge/articles/${id}/draft`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...detail.record, id: undefined, department: '市税务局纳税服务处', baseRevision: 1 }),
      });
      return r.status;
    }, ARTICLE_ID);
    expect(other).toBe(200);

    const short = editor.getByLabel('简短答复');
    await short.fill('每年3月1日至6月30日办理上一年度个税汇算。');
    await editor.getByRole('button', { name: '保存草稿' }).click();
    await expect.poll(() => editor.locator('.form-message').textContent()).toContain('其他人修改了这篇条目');
    await editor.getByRole('button', { name: '重新载入' }).click();
    await expect.poll(() => editor.getByLabel('主管部门').inputValue()).toBe('市税务局纳税服务处');

    // Over one SMS: the counter warns, the SMS preview says how many parts.
    await short.fill(
      '每年3月1日至6月30日，可通过“个人所得税”App或网页端办理上一年度综合所得年度汇算，也可委托扣缴单位代为办理，或到主管税务机关办税服务厅办理。',
    );
    await editor.locator('.counter.warn', { hasText: '超过 70 字' }).waitFor();
    await short.fill('每年3月1日至6月30日，通过“个人所得税”App即可办理上一年度个税汇算，退税一般10个工作日内到账。');
    await editor.getByRole('button', { name: '保存草稿' }).click();
    await editor.locator('#toast', { hasText: '草稿已保存' }).waitFor();
    await meta(editor).getByText('有待审修订').waitFor();
    expect(await meta(editor).getByText('已发布', { exact: true }).count()).toBe(1);
    expect(await editor.locator('.bubble.sms').textContent()).toContain('退税一般10个工作日内到账');

    await mkdir('test-results', { recursive: true });
    // Tall enough to show the answers and both previews.
    await editor.setViewportSize({ width: 1280, height: 1100 });
    await editor.screenshot({ path: SCREENSHOT });
    await editor.setViewportSize({ width: 1280, height: 900 });

    await editor.locator('nav a', { hasText: '知识条目' }).click();
    await editor.getByLabel('关键词').fill(ARTICLE_ID);
    await editor.getByRole('button', { name: '搜索' }).click();
    await editor.locator(`tr[data-id="${ARTICLE_ID}"] .badge.pending`, { hasText: '有待审修订' }).waitFor();
    await editor.locator(`tr[data-id="${ARTICLE_ID}"] a.title-link`).click();
  });

  it('shows the revisions and the field-by-field diff, and the audit trail', async () => {
    await editor.getByRole('link', { name: /修订历史/ }).click();
    const rows = editor.locator('table.revisions tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(1).textContent()).toContain('reviewer1');
    await editor.locator('.diff h2', { hasText: '第 1 版 → 第 2 版' }).waitFor();
    const diff = editor.locator('.diff');
    expect(await diff.locator('dt').allTextContents()).toEqual(
      expect.arrayContaining(['简短答复（短信、语音）', '主管部门']),
    );
    // Unchanged text with the insertions gives the new revision, with the deletions the old one.
    const shortAnswer = diff.locator('dt', { hasText: '简短答复' }).locator('+ dd');
    const rebuild = async (without: 'ins' | 'del') =>
      (await shortAnswer.locator(`:scope > :not(${without})`).allTextContents()).join('');
    expect(await rebuild('del')).toBe((await gw.editorial.history(ARTICLE_ID))[0]!.content.answerShort);
    expect(await rebuild('ins')).toBe((await gw.editorial.history(ARTICLE_ID))[1]!.content.answerShort);
    expect(await diff.locator('dt', { hasText: '主管部门' }).locator('+ dd ins').textContent()).toBe('纳税服务处');
    expect(
      await diff
        .locator('del')
        .first()
        .evaluate((el) => getComputedStyle(el).textDecorationLine),
    ).toBe('line-through');

    await editor.getByRole('link', { name: '操作记录' }).click();
    const audit = editor.locator('table.audit tbody');
    await audit.getByText('审核通过').waitFor();
    expect(await audit.textContent()).toContain('创建条目');
    expect(await audit.textContent()).toContain('reviewer1');
  });

  it('asks before retiring; once retired the article is 已停用 and read-only', async () => {
    await editor.getByRole('link', { name: '内容', exact: true }).click();
    await editor.getByRole('button', { name: '停用' }).click();
    const dialog = editor.getByRole('dialog');
    await dialog.getByText('停用后该条目将立即停止答复市民').waitFor();
    await dialog.getByRole('button', { name: '取消' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await gw.editorial.get(ARTICLE_ID)).status).toBe('published');

    await editor.getByRole('button', { name: '停用' }).click();
    await dialog.getByRole('button', { name: '停用' }).click();
    await meta(editor).getByText('已停用', { exact: true }).waitFor();
    expect((await gw.editorial.get(ARTICLE_ID)).status).toBe('retired');
    expect(await editor.getByLabel('标题', { exact: true }).getAttribute('readonly')).not.toBeNull();
    expect(await editor.getByRole('button', { name: '保存草稿' }).count()).toBe(0);
  });

  it('shows the server’s validation error for the synonyms, and fits an 800 px window', async () => {
    await editor.locator('nav a', { hasText: '同义词' }).click();
    const groups = editor.getByLabel('同义词组');
    await expect.poll(() => groups.inputValue()).not.toBe('');
    await groups.fill(`${await groups.inputValue()}\n孤词`);
    await editor.getByRole('button', { name: '保存同义词' }).click();
    await expect.poll(() => editor.locator('.form-message').textContent()).toContain('needs at least two terms');

    // Unsaved edits: leaving asks first.
    await editor.locator('nav a', { hasText: '知识条目' }).click();
    await editor.getByRole('dialog').getByText('放弃未保存的修改？').waitFor();
    await editor.getByRole('dialog').getByRole('button', { name: '确定' }).click();
    await editor.locator('table.articles').waitFor();

    await editor.setViewportSize({ width: 800, height: 900 });
    expect(await editor.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    await editor.locator(`tr[data-id="${ARTICLE_ID}"] a.title-link`).click();
    await editor.locator('.editor').waitFor();
    expect(await editor.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
  });

  it('loaded nothing from any host but the gateway, and no script ran from article text', async () => {
    expect([...hosts]).toEqual([new URL(gw.url).host]);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await editorContext.close();
    await reviewerContext.close();
  });
});
