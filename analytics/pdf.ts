/**
 * Prints a self-contained HTML document (analytics/report-render.ts) to an A4 PDF with Debian's Chromium,
 * driven by playwright-core. One browser per document: reports are rendered rarely (monthly, or on demand),
 * and a fresh process leaves nothing behind when a render fails or times out.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { AppError } from '../core/errors.js';

export interface HtmlToPdfOptions {
  /** The Chromium executable (Debian package `chromium`: /usr/bin/chromium), from CHROMIUM_PATH. */
  chromiumPath: string;
  /** Bounds the launch, and then loading and printing the document together. Default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The same as the document's `@page` margins: Chromium prints with these when the CSS gives none. */
const MARGIN = { top: '16mm', bottom: '16mm', left: '14mm', right: '14mm' };

/** Page numbers in the bottom margin ("3 / 12"); Chromium fills the pageNumber and totalPages spans. */
const FOOTER = `<div style="width:100%;text-align:center;font-size:8px;color:#6b7280;">
<span class="pageNumber"></span> / <span class="totalPages"></span></div>`;

/**
 * No sandbox: the service runs unprivileged in a container where Chromium's sandbox cannot start. The rest
 * keep Chromium from phoning home (this machine has no network but loopback) and from wasting start-up time.
 * The browser tests launch it the same way (test/support/chromium.ts).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function htmlToPdf(html: string, options: HtmlToPdfOptions): Promise<Buffer> {
  const { chromiumPath } = options;
  if (!existsSync(chromiumPath)) {
    throw new AppError(
      'E_UNAVAILABLE',
      `PDF rendering needs Chromium (Debian package "chromium"), but there is none at ${chromiumPath}: install it or set CHROMIUM_PATH`,
      { chromiumPath },
    );
  }
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const browser = await chromium
    .launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, timeout })
    .catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new AppError('E_UNAVAILABLE', `Chromium at ${chromiumPath} did not start: ${reason}`, { chromiumPath });
    });
  // page.pdf() takes no timeout: closing the browser at the deadline is what ends a render that hangs.
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    void browser.close();
  }, timeout);
  try {
    return await printPdf(browser, html, timeout);
  } catch (error) {
    if (timedOut) throw new AppError('E_UNAVAILABLE', `PDF rendering took longer than ${timeout} ms`, { timeout });
    throw error;
  } finally {
    clearTimeout(deadline);
    await browser.close();
  }
}

async function printPdf(browser: Browser, html: string, timeout: number): Promise<Buffer> {
  // The report needs no script and nothing from the network: a document that asks for either is refused.
  const context = await browser.newContext({ javaScriptEnabled: false, offline: true, locale: 'zh-CN' });
  context.setDefaultTimeout(timeout);
  const page = await context.newPage();
  await page.route('**/*', (route) => route.abort());
  await page.setContent(html, { waitUntil: 'load' });
  return await page.pdf({
    format: 'A4',
    printBackground: true,
    margin: MARGIN,
    displayHeaderFooter: true,
    headerTemplate: '<span></span>',
    footerTemplate: FOOTER,
  });
}
