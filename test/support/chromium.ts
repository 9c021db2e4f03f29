import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../analytics/pdf.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why browser tests cannot run here, or null when they can. With MINSHENG_REQUIRE_SERVICES=1 (CI) a
 * missing Chromium fails the run instead.
 */
export const chromiumMissing: string | null = existsSync(CHROMIUM)
  ? null
  : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or run .ci/setup-system.sh)`;
if (chromiumMissing && process.env.MINSHENG_REQUIRE_SERVICES === '1') throw new Error(chromiumMissing);
if (chromiumMissing) console.warn(`[skip] ${chromiumMissing}`);

/** Debian's Chromium, headless, driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** What a browser test's pages did that they should not: native dialogs (dismissed), page errors, CSP refusals. */
export interface PageProblems {
  dialogs: string[];
  problems: string[];
}

/**
 * A page in a new context (Chinese locale) whose native dialogs, page errors and Content-Security-Policy
 * refusals are recorded in `record`.
 */
export async function watchedPage(
  browser: Browser,
  record: PageProblems,
  options: { viewport?: { width: number; height: number }; timeoutMs?: number } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    locale: 'zh-CN',
    viewport: options.viewport ?? { width: 1440, height: 960 },
  });
  context.setDefaultTimeout(options.timeoutMs ?? 15_000);
  const page = await context.newPage();
  page.on('dialog', async (d) => {
    record.dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  page.on('pageerror', (e) => record.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) record.problems.push(`csp: ${m.text()}`);
  });
  return { context, page };
}

/** A browser for one test file: every page in a context of its own, watched into `record`. */
export interface WatchedBrowser {
  record: PageProblems;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function watchedBrowser(): Promise<WatchedBrowser> {
  const browser = await launchChromium();
  const record: PageProblems = { dialogs: [], problems: [] };
  const contexts: BrowserContext[] = [];
  return {
    record,
    async newPage(viewport) {
      const { context, page } = await watchedPage(browser, record, { viewport });
      contexts.push(context);
      return page;
    },
    async close() {
      for (const context of contexts) await context.close();
      await browser.close();
    },
  };
}
