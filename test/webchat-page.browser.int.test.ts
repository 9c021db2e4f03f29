/**
 * The citizen's view: Debian's Chromium, driven by playwright-core, loads the page, the official Web
 * Chat bundle renders in Chinese, a question typed into the send box gets the approved answer.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM)
  ? null
  : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or run .ci/setup-system.sh)`;
if (missing && process.env.MINSHENG_REQUIRE_SERVICES === '1') throw new Error(missing);
if (missing) console.warn(`[skip] ${missing}`);

describe.skipIf(missing)('web chat page in Chromium', () => {
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    gw = await startTestGateway();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // No network here but loopback: keep Chromium from trying to phone home.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.cleanup();
  });

  it('shows the welcome in Chinese, sends a question and shows the approved answer', async () => {
    const page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 480, height: 800 } });
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
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

    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/webchat.png' });

    // A reload keeps the tab's conversation: the history comes back from the server.
    await page.reload();
    await message(/^社保卡遗失后/).waitFor({ timeout: 20_000 });
    expect(await message('我的社保卡丢了，要怎么补办').count()).toBe(1);
  });
});
