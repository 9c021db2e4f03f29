import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArticleRecord } from '../article.js';
import { loadDemoRecords } from '../article-store.js';
import type { HeaderLanguage } from './columns.js';
import { exportArticles } from './export.js';
import { openArticleSource, type ArticleFormat } from './formats.js';
import { importArticles } from './importer.js';

let dir: string;
let records: ArticleRecord[];

/** The demo articles plus the awkward cases: links, expiry, quotes, commas, blank lines, empty lists. */
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'minsheng-kb-export-'));
  const demo = await loadDemoRecords();
  const base = demo.find((r) => r.category === 'utilities')!;
  records = [
    ...demo,
    {
      ...base,
      id: 'utilities-901',
      title: '停水通知"怎么查"，以及, 逗号',
      variants: ['停水了，去哪里查通知？', '"计划停水"在哪看', '停水, 怎么办'],
      answerFull: '第一段：关注供水集团公众号。\n\n第二段：\n- 拨打供水热线\n- 拨打12345\n\n# 不是标题的井号',
      tags: [],
      region: '高新区',
      expiresAt: '2027-12-31',
      source: { title: '示例：《城市供水条例》', url: 'https://example.gov.cn/gs?id=1&t=2' },
    },
    { ...base, id: 'utilities-902', variants: [], source: null },
  ];
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function reimport(target: string): Promise<ArticleRecord[]> {
  const back: ArticleRecord[] = [];
  const summary = await importArticles((await openArticleSource(target)).rows, {
    context: { categories: new Set(records.map((r) => r.category)) },
    sink: { write: async (batch) => (back.push(...batch), { created: batch.length, updated: 0 }) },
  });
  expect(summary.rejectedRows).toEqual([]);
  return back;
}

const byId = (list: ArticleRecord[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));

describe('export then import', () => {
  it.each<[ArticleFormat, HeaderLanguage, string]>([
    ['csv', 'en', 'articles.csv'],
    ['csv', 'zh', 'articles-zh.csv'],
    ['xlsx', 'en', 'articles.xlsx'],
    ['xlsx', 'zh', 'articles-zh.xlsx'],
    ['json', 'en', 'articles.json'],
    ['md', 'en', 'articles-md'],
  ])('gives the same records back: %s with %s headings', async (format, headers, name) => {
    const target = path.join(dir, name);
    expect(await exportArticles(records, target, { format, headers })).toBe(records.length);
    expect(byId(await reimport(target))).toEqual(byId(records));
  });

  it('writes the Chinese headings when asked, with a BOM for Excel', async () => {
    const target = path.join(dir, 'headings.csv');
    await exportArticles(records.slice(0, 1), target, { format: 'csv', headers: 'zh' });
    const [header] = (await readFile(target, 'utf8')).split('\n');
    expect(header).toBe(
      '\uFEFF编号,分类,标题,标准问,相似问法,简短答复,完整答复,主管部门,标签,区域,生效日期,失效日期,依据文件,依据链接',
    );
  });

  it('writes an XLSX sheet editors can work in: bold frozen header, widths, wrapped text, date cells', async () => {
    const target = path.join(dir, 'styled.xlsx');
    await exportArticles(records, target, { format: 'xlsx', headers: 'zh' });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(target);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe('知识库');
    expect(sheet.getRow(1).getCell(1).value).toBe('编号');
    expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.getColumn(7).width).toBe(80);
    expect(sheet.getRow(2).getCell(7).alignment?.wrapText).toBe(true);
    expect(sheet.getRow(2).getCell(11).value).toEqual(new Date(`${records[0]!.effectiveFrom}T00:00:00Z`));
    expect(sheet.rowCount).toBe(records.length + 1);
  });

  it('writes one Markdown file per article, named by id, front matter first', async () => {
    const target = path.join(dir, 'one-per-file');
    await exportArticles(records.slice(-2), target, { format: 'md' });
    expect((await readdir(target)).sort()).toEqual(['utilities-901.md', 'utilities-902.md']);
    const text = await readFile(path.join(target, 'utilities-901.md'), 'utf8');
    expect(text).toMatch(/^---\nid: utilities-901\ncategory: utilities\ntitle: /);
    expect(text).toContain('expiresAt: "2027-12-31"');
    expect(text.endsWith('# 不是标题的井号\n')).toBe(true);
  });
});
