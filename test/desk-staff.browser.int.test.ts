/**
 * Staff settings on the agent desk in Debian's Chromium (playwright-core): an administrator adds an account
 * (and is told when the name is taken), changes its roles, sets its desk settings from the supervisor view
 * and disables it; a plain agent sees no account administration and changes their own password, checked
 * in the page first (the confirmation must match).
 */
import { mkdir } from 'node:fs/promises';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, watchedBrowser, type WatchedBrowser } from './support/chromium.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { createStaff, STAFF_PASSWORD } from './support/staff.js';

const SCREENSHOT = 'test-results/desk-staff.png';
const XIAOLI_PASSWORD = 'long-enough-password';
const WANG_NEW_PASSWORD = 'brand-new-desk-password';

describe.skipIf(chromiumMissing)('staff settings on the agent desk in Chromium', () => {
  let gw: TestGateway;
  let browser: WatchedBrowser;
  const newPage = (viewport?: { width: number; height: number }) => browser.newPage(viewport);

  async function signInAt(page: Page, username: string, password = STAFF_PASSWORD): Promise<void> {
    await page.goto(`${gw.url}/desk`);
    await page.getByLabel('用户名', { exact: true }).fill(username);
    await page.getByLabel('密码', { exact: true }).fill(password);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('button', { name: '退出', exact: true }).waitFor();
  }

  /** A sign-in over HTTP: the status, and the session cookie when there is one. */
  async function login(username: string, password: string): Promise<{ status: number; cookie?: string }> {
    const response = await fetch(`${gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return { status: response.status, cookie: response.headers.get('set-cookie')?.split(';')[0] };
  }

  const toastText = (page: Page) => page.locator('#toast').textContent();

  beforeAll(async () => {
    gw = await startTestGateway();
    await createStaff(gw, 'root', ['admin', 'supervisor']);
    await createStaff(gw, 'wang', ['agent']);
    browser = await watchedBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.cleanup();
  });

  it('lets an administrator manage accounts and desk settings, and anyone change their password', async () => {
    // The administrator adds an account.
    const admin = await newPage();
    await signInAt(admin, 'root');
    await admin.getByRole('button', { name: '账号管理', exact: true }).click();
    await admin.locator('tr', { hasText: 'root' }).waitFor();
    const addAccount = async () => {
      await admin.getByRole('button', { name: '添加账号', exact: true }).click();
      const dialog = admin.getByRole('dialog');
      await dialog.getByLabel('用户名', { exact: true }).fill('xiaoli');
      await dialog.getByLabel('显示名', { exact: true }).fill('小李');
      await dialog.getByLabel('初始密码', { exact: true }).fill(XIAOLI_PASSWORD);
      await dialog.getByLabel('坐席', { exact: true }).check();
      await dialog.getByRole('button', { name: '添加', exact: true }).click();
      return dialog;
    };
    const added = await addAccount();
    await added.waitFor({ state: 'detached' });
    const xiaoliRow = admin.locator('tbody tr', { hasText: 'xiaoli' });
    await xiaoliRow.waitFor();
    expect(await xiaoliRow.locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['xiaoli', '小李', '坐席', '已启用']),
    );
    expect(await toastText(admin)).toBe('已添加账号 xiaoli');

    // Twice: the server's refusal shows in the dialog, which stays open.
    const twice = await addAccount();
    await expect.poll(() => twice.getByRole('alert').textContent()).toContain('xiaoli is taken');
    expect(await twice.getByRole('alert').textContent()).toMatch(/^操作冲突/);
    await twice.getByRole('button', { name: '取消', exact: true }).click();
    await twice.waitFor({ state: 'detached' });

    // Roles: Xiaoli also edits knowledge.
    await xiaoliRow.getByRole('button', { name: '角色', exact: true }).click();
    const roles = admin.getByRole('dialog');
    expect(await roles.getByLabel('坐席', { exact: true }).isChecked()).toBe(true);
    await roles.getByLabel('知识编辑', { exact: true }).check();
    await roles.getByRole('button', { name: '保存', exact: true }).click();
    await roles.waitFor({ state: 'detached' });
    await expect.poll(() => xiaoliRow.locator('td').nth(2).textContent()).toBe('坐席、知识编辑');

    // Xiaoli signs in to the desk once (her desk profile appears); the supervisor view lists her.
    const xiaoli = await login('xiaoli', XIAOLI_PASSWORD);
    expect(xiaoli.status).toBe(200);
    const deskMe = await fetch(`${gw.url}/api/desk/me`, { headers: { cookie: xiaoli.cookie! } });
    expect(deskMe.status).toBe(200);
    await admin.getByRole('button', { name: '班长视图', exact: true }).click();
    const agentRow = admin.getByRole('row', { name: /小李/ });
    await agentRow.waitFor();
    await agentRow.getByRole('button', { name: '设置', exact: true }).click();
    const settings = admin.getByRole('dialog');
    await settings.getByLabel('general', { exact: true }).waitFor();
    await settings.getByLabel('技能', { exact: true }).fill('category:05');
    await settings.getByLabel('同时接待上限', { exact: true }).fill('5');
    await settings.getByRole('button', { name: '保存', exact: true }).click();
    await settings.waitFor({ state: 'detached' });
    expect(await toastText(admin)).toBe('已保存小李的坐席设置');
    const profile = (await gw.handoffs.store.profiles()).find((p) => p.username === 'xiaoli');
    expect(profile).toMatchObject({ skills: ['category:05'], capacity: 5 });
    // Only what was filled in changed: her queues and languages are the defaults still.
    expect(profile?.languages).toEqual(['zh', 'en']);
    await expect.poll(() => agentRow.locator('td').nth(2).textContent()).toBe('0 / 5');

    // Locked by failed sign-ins, Xiaoli shows as locked until the administrator unlocks her.
    for (let i = 0; i < 5; i++) await gw.accounts.login('xiaoli', `wrong-password-${i}`).catch(() => undefined);
    await admin.getByRole('button', { name: '账号管理', exact: true }).click();
    await xiaoliRow.getByText(/^已锁定至/).waitFor();
    await xiaoliRow.getByRole('button', { name: '解锁', exact: true }).click();
    await expect.poll(() => toastText(admin)).toBe('已解锁小李');
    await xiaoliRow.getByRole('button', { name: '解锁', exact: true }).waitFor({ state: 'detached' });
    expect(await xiaoliRow.getByText(/^已锁定至/).count()).toBe(0);

    // Disabled, Xiaoli can no longer sign in; the administrator cannot disable themselves.
    expect(
      await admin
        .locator('tbody tr', { hasText: 'root' })
        .getByRole('button', { name: '停用', exact: true })
        .isDisabled(),
    ).toBe(true);
    await xiaoliRow.getByRole('button', { name: '停用', exact: true }).click();
    const disable = admin.getByRole('dialog');
    await disable.getByRole('button', { name: '停用', exact: true }).click();
    await disable.waitFor({ state: 'detached' });
    await xiaoliRow.getByRole('button', { name: '启用', exact: true }).waitFor();
    expect(await xiaoliRow.locator('td').nth(3).textContent()).toBe('已停用');
    expect((await login('xiaoli', XIAOLI_PASSWORD)).status).toBe(401);

    // A plain agent: no account administration (nor supervisor view); a password change checked first.
    const agent = await newPage();
    await signInAt(agent, 'wang');
    expect(await agent.getByRole('button', { name: '账号管理' }).count()).toBe(0);
    expect(await agent.getByRole('button', { name: '班长视图' }).count()).toBe(0);
    await agent.getByRole('button', { name: '修改密码', exact: true }).click();
    const password = agent.getByRole('dialog');
    await password.getByLabel('当前密码', { exact: true }).fill(STAFF_PASSWORD);
    await password.getByLabel('新密码', { exact: true }).fill(WANG_NEW_PASSWORD);
    await password.getByLabel('确认新密码', { exact: true }).fill(`${WANG_NEW_PASSWORD}!`);
    await password.getByRole('button', { name: '修改', exact: true }).click();
    await expect.poll(() => password.getByRole('alert').textContent()).toBe('两次输入的新密码不一致。');
    expect((await login('wang', WANG_NEW_PASSWORD)).status).toBe(401);
    await password.getByLabel('确认新密码', { exact: true }).fill(WANG_NEW_PASSWORD);
    await password.getByRole('button', { name: '修改', exact: true }).click();
    await password.waitFor({ state: 'detached' });
    await expect.poll(() => toastText(agent)).toBe('密码已修改');
    expect((await login('wang', WANG_NEW_PASSWORD)).status).toBe(200);
    // Still signed in on the desk: the session that changed the password stays.
    expect(await agent.getByRole('button', { name: '退出', exact: true }).isVisible()).toBe(true);

    // The accounts, with the roles dialog open, for the record.
    await xiaoliRow.getByRole('button', { name: '角色', exact: true }).click();
    await admin.getByRole('dialog').waitFor();
    await mkdir('test-results', { recursive: true });
    await admin.screenshot({ path: SCREENSHOT });
    await admin.getByRole('dialog').getByRole('button', { name: '取消', exact: true }).click();

    expect(browser.record.dialogs).toEqual([]);
    expect(browser.record.problems).toEqual([]);
  });
});
