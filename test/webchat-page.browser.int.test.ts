/**
 * The citizen's view: Debian's Chromium, driven by playwright-core, loads the page, the official Web
 * Chat bundle renders in Chinese, a question typed into the send box gets the approved answer.
 */
import { mkdir } from 'node:fs/promises';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from './support/chromium.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

describe.skipIf(chromiumMissing)('web chat page in Chromium', () => {
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    gw = await startTestGateway();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.cleanup();
  });

  it('shows the welcome in Chinese, sends a question and shows the approved answer', async () => {
    const page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 480, height: 800 } });
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    // The page runs under its Content-Security-Policy: nothing the bundle does may be refused by it.
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(`${gw.url}/`);
    await expect.poll(() => page.title()).toBe('12345 政务服务便民热线 · 在线服务');
    // Rendered message bodies (Web Chat also repeats each text in a hidden accessibility label).
    const message = (text: string | RegExp) => page.locator('p.webchat__text-content', { hasText: text });
    await message('您好，这里是12345政务服务便民热线在线服务').waitFor({ timeout: 20_000 });

    const sendBox = page.locator('[data-id="webchat-sendbox-input"]');
    await sendBox.fill('我的社保卡丢了，要怎么补办');
    await sendBox.press('Enter');
    await message('我的社保卡丢了，要怎么补办').waitFor();
    await message(/^社保卡遗失后/).waitFor({ timeout: 20_000 });
    await message('以上答复是否解决了您的问题？').waitFor();
    // Web Chat marks a message it never saw echoed as failed; the echo must have arrived.
    expect(await page.getByText(/发送失败|Send failed/).count()).toBe(0);
    expect(failed).toEqual([]);
    expect(refused).toEqual([]);

    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/webchat.png' });

    // A reload keeps the tab's conversation: the history comes back from the server.
    await page.reload();
    await message(/^社保卡遗失后/).waitFor({ timeout: 20_000 });
    expect(await message('我的社保卡丢了，要怎么补办').count()).toBe(1);
  });
});
