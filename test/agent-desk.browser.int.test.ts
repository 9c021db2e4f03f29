/**
 * The handoff end to end in Debian's Chromium (playwright-core), three browser contexts: a citizen in the
 * web chat page asks for a person; an agent signed in to the desk accepts, replies, registers and
 * dispatches the ticket, invites a department by link (the third context, with no account), and hands
 * back to the bot; the citizen sees every step in Web Chat. Script in citizen text stays text on the desk.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, watchedBrowser, type WatchedBrowser } from './support/chromium.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { createStaff, STAFF_PASSWORD } from './support/staff.js';

const XSS = '<img src=x onerror=alert(1)>我家楼下井盖丢了';
// The copy in docs/screenshots/ is refreshed by hand from this one, so a test run leaves the tree clean.
const SCREENSHOT = 'test-results/agent-desk.png';

describe.skipIf(chromiumMissing)('agent desk in Chromium', () => {
  let gw: TestGateway;
  let browser: WatchedBrowser;
  const newPage = (viewport?: { width: number; height: number }) => browser.newPage(viewport);

  beforeAll(async () => {
    gw = await startTestGateway();
    await createStaff(gw, 'xiaowang', ['agent']);
    browser = await watchedBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.cleanup();
  });

  it('takes a citizen from the bot to an agent, a department and back', async () => {
    // The agent signs in and becomes available.
    const desk = await newPage();
    await desk.goto(`${gw.url}/desk`);
    await desk.getByLabel('用户名', { exact: true }).fill('xiaowang');
    await desk.getByLabel('密码', { exact: true }).fill(STAFF_PASSWORD);
    await desk.getByRole('button', { name: '登录', exact: true }).click();
    await desk.getByLabel('状态').selectOption('available');
    await expect.poll(async () => (await gw.handoffs.store.profiles())[0]?.presence).toBe('available');

    // The citizen asks for a person in Web Chat.
    const citizen = await newPage({ width: 480, height: 900 });
    await citizen.goto(`${gw.url}/`);
    const said = (text: string | RegExp) => citizen.locator('p.webchat__text-content', { hasText: text });
    await said('您好，这里是12345政务服务便民热线在线服务').waitFor({ timeout: 20_000 });
    const sendBox = citizen.locator('[data-id="webchat-sendbox-input"]');
    await sendBox.fill(XSS);
    await sendBox.press('Enter');
    await said(XSS).waitFor();
    await sendBox.fill('转人工');
    await sendBox.press('Enter');
    await said(/正在为您转接人工坐席/).waitFor({ timeout: 20_000 });

    // The offer reaches the desk; the agent takes it and sees the context card.
    await desk.getByRole('button', { name: '接入', exact: true }).first().click();
    await said(/人工坐席xiaowang已为您接入/).waitFor({ timeout: 20_000 });
    const transcript = desk.locator('.msg.from-user .msg-text');
    await expect.poll(() => transcript.allTextContents()).toContain(XSS);

    // The citizen's words become an eval case, with the article that should answer them.
    await desk.locator('.msg.from-user', { hasText: XSS }).getByRole('button', { name: '加入评测' }).click();
    await desk.getByLabel('预期文章编号', { exact: true }).fill('none');
    await desk.getByRole('button', { name: '加入', exact: true }).click();
    await expect
      .poll(async () =>
        (await gw.database.db.selectFrom('eval_cases').select('question').execute()).map((c) => c.question),
      )
      .toEqual([XSS]);

    // Both ways: the agent's reply in Web Chat, the citizen's next message on the desk.
    await desk.getByLabel('回复', { exact: true }).fill('您好，我是坐席小王。请问井盖在哪个位置？');
    await desk.getByRole('button', { name: '发送', exact: true }).click();
    await said('您好，我是坐席小王。请问井盖在哪个位置？').waitFor();
    await sendBox.fill('城关区建设路18号门口');
    await sendBox.press('Enter');
    await expect.poll(() => transcript.allTextContents()).toContain('城关区建设路18号门口');

    // The ticket: filled in on the desk, registered, dispatched.
    await desk.getByLabel('诉求类型', { exact: true }).selectOption('help');
    await desk.getByLabel('诉求内容', { exact: true }).fill('城关区建设路18号门口井盖丢失，存在安全隐患');
    await desk.getByLabel('电话', { exact: true }).fill('13912345678');
    await desk.getByLabel('区县', { exact: true }).fill('城关区');
    await desk.getByLabel('地址', { exact: true }).fill('建设路18号');
    await desk.getByRole('button', { name: '登记工单', exact: true }).click();
    const number = (await desk.locator('.ticket-number').first().textContent())!.match(/12345-\d{8}-\d{6}/)![0];
    await desk.getByRole('button', { name: '派单', exact: true }).click();
    await expect.poll(async () => (await gw.tickets.get(number))?.status).toBe('dispatched');

    // Three-party: a department joins through the invitation link, in a browser with no account.
    await desk.getByRole('button', { name: '邀请部门', exact: true }).click();
    await desk.getByLabel('部门', { exact: true }).fill('城关区城市管理局');
    await desk.getByRole('button', { name: '生成邀请链接', exact: true }).click();
    const inviteUrl = await desk
      .locator('.invite-url')
      .first()
      .evaluate((el) => (el instanceof HTMLInputElement ? el.value : (el.textContent ?? '')));
    expect(inviteUrl).toMatch(new RegExp(`^${gw.url}/join/[A-Za-z0-9_-]{32}$`));
    const department = await newPage();
    await department.goto(inviteUrl);
    await department.locator('.msg.from-user .msg-text', { hasText: '城关区建设路18号门口' }).waitFor();
    await said(/城关区城市管理局的工作人员已加入本次会话/).waitFor();
    await department.getByLabel('您的姓名', { exact: true }).fill('李工');
    await department.getByLabel('消息', { exact: true }).fill('已安排人员今天下午到现场处置。');
    await department.getByRole('button', { name: '发送', exact: true }).click();
    await said('已安排人员今天下午到现场处置。').waitFor();
    await expect
      .poll(() => desk.locator('.msg.from-department .msg-text').allTextContents())
      .toContain('已安排人员今天下午到现场处置。');

    await desk.getByRole('button', { name: '关闭', exact: true }).click();
    await mkdir('test-results', { recursive: true });
    await desk.screenshot({ path: SCREENSHOT });

    // Back to the bot, which asks about satisfaction; the department's link stops working.
    await desk.getByRole('button', { name: '交还机器人', exact: true }).click();
    await said(/请您对本次服务进行评价/).waitFor();
    await sendBox.fill('1');
    await sendBox.press('Enter');
    await said(/感谢您的评价/).waitFor({ timeout: 20_000 });
    expect((await fetch(`${gw.url}/api/join/${inviteUrl.split('/').pop()}`)).status).toBe(410);

    // Script in citizen text never ran, on any page; nothing broke the pages' strict policy.
    expect(await desk.locator('.msg.from-user img').count()).toBe(0);
    expect(browser.record.dialogs).toEqual([]);
    expect(browser.record.problems).toEqual([]);
  });
});
