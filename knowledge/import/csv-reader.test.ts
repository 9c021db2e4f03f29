import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoRecords } from '../article-store.js';
import { FLAT_FIELDS, flattenRecord } from './columns.js';
import { readCsv } from './csv-reader.js';
import { importArticles, type ArticleSink } from './importer.js';
import { ImportFileError, type ImportRow, type ReadProgress } from './rows.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'minsheng-kb-csv-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function csvFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

const newProgress = (): ReadProgress => ({ done: 0, total: null, unit: 'bytes' });

async function readAll(file: string): Promise<{ rows: ImportRow[]; warnings: string[] }> {
  const warnings: string[] = [];
  const rows: ImportRow[] = [];
  for await (const row of readCsv(file, newProgress(), warnings)) rows.push(row);
  return { rows, warnings };
}

const summarise = (rows: ImportRow[]) =>
  rows.map((r) => ('error' in r ? { line: r.line, error: r.error } : { line: r.line, id: r.raw.id }));

/** What editors save from Excel: a BOM, CRLF, Chinese headings, line breaks inside cells. */
const EDITOR_CSV = [
  '\uFEFF编号,分类,标题,标准问,相似问法,简短答复,完整答复,主管部门,标签,区域,生效日期,失效日期,依据文件,依据链接,备注',
  'housing-fund-101,住房公积金,租房提取公积金,租房可以提取公积金吗？,"租房怎么取公积金\r\n公积金付房租",可以，每年可按规定额度提取一次。,"无自有住房且租房的职工，可申请提取住房公积金支付房租。\r\n办理渠道：公积金App、管理部窗口。",市住房公积金管理中心,公积金、租房,全市,2025/3/1,,示例：《住房公积金提取管理办法》,,',
  '',
  'transport-101,transport,"地铁""爱心专座""规定",地铁老人免费吗？,,65周岁以上老人凭敬老卡免费乘坐。,本市户籍及常住65周岁以上老人办理敬老卡后可免费乘坐地铁和公交。,市交通运输局,,,2024-01-01,2026-12-31,,,',
  '',
].join('\r\n');

describe('readCsv', () => {
  it('reads Chinese headings, a BOM, CRLF and multi-line cells, each row with the line it starts on', async () => {
    const { rows, warnings } = await readAll(await csvFile('editor.csv', EDITOR_CSV));
    expect(warnings).toEqual(['ignored columns: 备注']);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      line: 2,
      raw: {
        id: 'housing-fund-101',
        category: '住房公积金',
        title: '租房提取公积金',
        question: '租房可以提取公积金吗？',
        variants: '租房怎么取公积金\r\n公积金付房租',
        answerShort: '可以，每年可按规定额度提取一次。',
        answerFull: '无自有住房且租房的职工，可申请提取住房公积金支付房租。\r\n办理渠道：公积金App、管理部窗口。',
        department: '市住房公积金管理中心',
        tags: '公积金、租房',
        region: '全市',
        effectiveFrom: '2025/3/1',
        expiresAt: '',
        sourceTitle: '示例：《住房公积金提取管理办法》',
        sourceUrl: '',
      },
    });
    // Lines 2-4 hold the first record (two cells span lines), line 5 is blank.
    expect(rows[1]).toMatchObject({ line: 6, raw: { id: 'transport-101', title: '地铁"爱心专座"规定' } });
  });

  it('rejects a row with an unterminated quote at its line, and reads every other row', async () => {
    const text = [
      'id,title,question,answerFull',
      'tax-101,个税汇算,个税怎么汇算？,"每年3月1日至6月30日办理。',
      '可通过个税App办理。"',
      'tax-102,"发票查验,真伪",发票怎么查真伪？,登录查验平台。',
      'tax-103,"未闭合的引号,车船税,车船税在哪交？,随交强险代收。',
      'tax-104,契税,买房契税多少？,"按面积和套数确定，详见""契税政策""。"',
      'tax-105,印花税,"租房合同要交印花税吗？",个人出租住房免征。',
    ].join('\n');
    const { rows } = await readAll(await csvFile('unterminated.csv', text));
    expect(summarise(rows)).toEqual([
      { line: 2, id: 'tax-101' },
      { line: 4, id: 'tax-102' },
      { line: 5, error: expect.stringContaining('a " is left open') },
      { line: 6, id: 'tax-104' },
      { line: 7, id: 'tax-105' },
    ]);
  });

  it('rejects an unterminated quote that runs to the end of the file, then reads the rows it swallowed', async () => {
    const text = 'id,title\ntax-101,个税\ntax-102,"印花税\ntax-103,契税\ntax-104,车船税\n';
    const { rows } = await readAll(await csvFile('open-to-end.csv', text));
    expect(summarise(rows)).toEqual([
      { line: 2, id: 'tax-101' },
      { line: 3, error: 'unterminated quoted value: a " opens a value that is never closed' },
      { line: 4, id: 'tax-103' },
      { line: 5, id: 'tax-104' },
    ]);
  });

  it('rejects rows with the wrong number of columns but not trailing empty cells', async () => {
    const text =
      'id,title,question\ntax-101,个税,怎么汇算\ntax-102,印花税\ntax-103,契税,多少,额外\ntax-104,车船税,哪里交,,\n';
    const { rows } = await readAll(await csvFile('columns.csv', text));
    expect(summarise(rows)).toEqual([
      { line: 2, id: 'tax-101' },
      { line: 3, error: 'expected 3 columns as in the header row, found 2' },
      { line: 4, error: 'expected 3 columns as in the header row, found 4' },
      { line: 5, id: 'tax-104' },
    ]);
  });

  it('fails the whole file when it is empty or its header names no article field', async () => {
    await expect(readAll(await csvFile('empty.csv', ''))).rejects.toThrow(ImportFileError);
    await expect(readAll(await csvFile('other.csv', '姓名,电话\n张三,123\n'))).rejects.toThrow(
      /header row names no article field/,
    );
  });

  it('tells an editor to save as CSV UTF-8 when Excel wrote GBK', async () => {
    const gbk = (...bytes: number[]) => Buffer.from(bytes);
    // 编号,标题 and 标题 in GBK: not UTF-8.
    const gbkHeader = path.join(dir, 'gbk-header.csv');
    await writeFile(
      gbkHeader,
      Buffer.concat([gbk(0xb1, 0xe0, 0xba, 0xc5, 0x2c, 0xb1, 0xea, 0xcc, 0xe2), Buffer.from('\n')]),
    );
    await expect(readAll(gbkHeader)).rejects.toThrow(/not UTF-8 text: save the sheet as "CSV UTF-8"/);
    const gbkRow = path.join(dir, 'gbk-row.csv');
    await writeFile(
      gbkRow,
      Buffer.concat([Buffer.from('id,title\ntax-101,'), gbk(0xb1, 0xea, 0xcc, 0xe2), Buffer.from('\n')]),
    );
    expect(summarise((await readAll(gbkRow)).rows)).toEqual([
      { line: 2, error: 'text that is not UTF-8: save the sheet as "CSV UTF-8" (or as XLSX) and import again' },
    ]);
  });

  describe('a 10 MB file', () => {
    let file: string;
    let size: number;
    let brokenLine: number;
    const ROWS = 10_000;

    beforeAll(async () => {
      // The demo articles under varied ids, with one broken row (a quote left open) in the middle.
      const demo = await loadDemoRecords();
      const records = Array.from({ length: ROWS }, (_, i) => {
        const record = demo[i % demo.length]!;
        return { ...record, id: `${record.id}-${i}`, title: `${record.title}（${i}）` };
      });
      const csv = (rows: typeof records) =>
        stringify(rows.map(flattenRecord), { columns: [...FLAT_FIELDS], header: false });
      const head = FLAT_FIELDS.join(',') + '\n' + csv(records.slice(0, ROWS / 2));
      brokenLine = head.split('\n').length;
      const broken = 'tax-broken,tax,"少了右引号,个税怎么交？,,个税短答复,个税完整答复,市税务局,,,2025-01-01,,,\n';
      const text = head + broken + csv(records.slice(ROWS / 2));
      file = await csvFile('big.csv', text);
      size = Buffer.byteLength(text);
    });

    it('imports every row but the broken one, reporting that one at its line', async () => {
      expect(size).toBeGreaterThan(10 * 1024 * 1024);
      const written: string[] = [];
      const sink: ArticleSink = {
        write: async (records) => {
          written.push(...records.map((r) => r.id));
          return { created: records.length, updated: 0 };
        },
      };
      const categories = new Set((await loadDemoRecords()).map((r) => r.category));
      const progress = newProgress();
      const summary = await importArticles(readCsv(file, progress, []), { context: { categories }, sink });

      expect(summary).toMatchObject({ read: ROWS + 1, accepted: ROWS, rejected: 1, created: ROWS });
      expect(summary.rejectedRows).toEqual([
        { line: brokenLine, id: null, reasons: [expect.stringContaining('a " is left open')] },
      ]);
      expect(new Set(written).size).toBe(ROWS);
      expect(progress.done).toBe(size);
    });

    it('streams: the first row arrives before a tenth of the file is read', async () => {
      const progress = newProgress();
      const rows = readCsv(file, progress, []);
      const first = await rows.next();
      expect(first.value).toMatchObject({ line: 2 });
      expect(progress.done).toBeGreaterThan(0);
      expect(progress.done).toBeLessThan(size / 10);
      await rows.return(undefined);
    });
  });
});
