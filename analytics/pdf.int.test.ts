import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../core/errors.js';
import { CHROMIUM, chromiumMissing } from '../test/support/chromium.js';
import { htmlToPdf } from './pdf.js';
import { reportHtml, type ReportDocument } from './report-render.js';
import { sampleOverview } from './sample-overview.js';

const run = promisify(execFile);
const PDFTOPPM = '/usr/bin/pdftoppm';
const PDFTOTEXT = '/usr/bin/pdftotext';

const popplerMissing =
  existsSync(PDFTOPPM) && existsSync(PDFTOTEXT)
    ? null
    : 'pdftoppm/pdftotext not found (apt-get install poppler-utils): PDF contents not checked';
// In CI (MINSHENG_REQUIRE_SERVICES=1) a missing tool fails the run instead of skipping, as Chromium does.
if (popplerMissing && process.env.MINSHENG_REQUIRE_SERVICES === '1') throw new Error(popplerMissing);
if (popplerMissing) process.stderr.write(`[skip] ${popplerMissing}\n`);

const TITLE = '12345热线 月报（2026年11月）';
const doc: ReportDocument = {
  kind: 'monthly',
  periodStart: '2026-11-01',
  periodEnd: '2026-11-30',
  generatedAt: '2026-12-01T01:00:00Z',
  overview: sampleOverview(),
};

describe('htmlToPdf', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'minsheng-pdf-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Page 1 as a 50 dpi PNG; its size in bytes says how much is drawn on it. */
  async function firstPagePngSize(pdf: Buffer, name: string): Promise<number> {
    const file = path.join(dir, `${name}.pdf`);
    await writeFile(file, pdf);
    await run(PDFTOPPM, ['-png', '-r', '50', '-f', '1', '-l', '1', file, path.join(dir, name)]);
    const png = (await readdir(dir)).find((f) => f.startsWith(`${name}-`) && f.endsWith('.png'));
    expect(png, 'pdftoppm wrote page 1').toBeDefined();
    return (await stat(path.join(dir, png!))).size;
  }

  it('says Chromium is needed when there is none', async () => {
    const error = await htmlToPdf('<p>x</p>', { chromiumPath: path.join(tmpdir(), 'no-such-chromium') }).catch(
      (e: unknown) => e,
    );
    expect(isAppError(error) && error.code).toBe('E_UNAVAILABLE');
    expect((error as Error).message).toMatch(/needs Chromium.*CHROMIUM_PATH/);
  });

  it.skipIf(chromiumMissing)(
    'prints the report to an A4 PDF with the Chinese text and the charts on it',
    async () => {
      const pdf = await htmlToPdf(reportHtml(doc), { chromiumPath: CHROMIUM, timeoutMs: 12_000 });
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      if (popplerMissing) return;

      // Text that survives extraction proves a CJK font was embedded (no tofu boxes).
      const file = path.join(dir, 'text.pdf');
      await writeFile(file, pdf);
      const { stdout } = await run(PDFTOTEXT, ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
      expect(stdout).toContain(TITLE);
      expect(stdout).toContain('62.5%');

      const blank = await htmlToPdf('<!doctype html><html><body></body></html>', {
        chromiumPath: CHROMIUM,
        timeoutMs: 12_000,
      });
      const [reportSize, blankSize] = [await firstPagePngSize(pdf, 'report'), await firstPagePngSize(blank, 'blank')];
      expect(reportSize).toBeGreaterThan(blankSize * 3);
    },
    30_000,
  );

  it.skipIf(chromiumMissing)('fetches nothing a document asks for', async () => {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const html = `<!doctype html><html><head><link rel="stylesheet" href="${base}/style.css"></head>
<body><p>外部资源</p><img src="${base}/pixel.png"><iframe src="${base}/frame"></iframe></body></html>`;
      const pdf = await htmlToPdf(html, { chromiumPath: CHROMIUM, timeoutMs: 12_000 });
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(requests).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
