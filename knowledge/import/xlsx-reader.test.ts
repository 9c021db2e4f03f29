import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArticleSource } from './formats.js';
import type { ImportRow } from './rows.js';
import { validateArticle } from './validate.js';

let dir: string;
let file: string;

/** A workbook as an editor makes it in Excel: a title-less sheet, date cells, rich text, a blank row. */
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'minsheng-kb-xlsx-'));
  file = path.join(dir, '知识库.xlsx');
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('医保');
  sheet.addRow([
    '编号',
    '分类',
    '标题',
    '标准问',
    '相似问法',
    '简短答复',
    '完整答复',
    '主管部门',
    '标签',
    '生效日期',
    '失效日期',
  ]);
  sheet.addRow([
    'medical-insurance-101',
    'medical-insurance',
    '异地就医备案',
    '去外地看病怎么备案？',
    '异地就医怎么报销\n跨省就医备案',
    '通过国家医保服务平台App或医保窗口办理备案，备案后可直接结算。',
    {
      richText: [
        { font: { bold: true }, text: '备案渠道：' },
        { text: '国家医保服务平台App、“我的城市”App、区医保经办窗口。' },
      ],
    },
    '市医疗保障局',
    '异地就医、备案',
    new Date(Date.UTC(2025, 0, 1)),
    null,
  ]);
  sheet.addRow([]);
  sheet.addRow([
    'medical-insurance-102',
    'medical-insurance',
    '门诊慢特病待遇认定',
    '慢性病门诊怎么申请？',
    null,
    '向定点医院申请认定，通过后门诊费用按比例报销。',
    '参保人患有高血压、糖尿病等门诊慢特病的，可向定点医疗机构提出认定申请。',
    '市医疗保障局',
    null,
    '2026-02-30',
    null,
  ]);
  sheet.getColumn(10).numFmt = 'yyyy-mm-dd';
  workbook.addWorksheet('说明').addRow(['本表第二页不导入']);
  await workbook.xlsx.writeFile(file);
  await writeFile(path.join(dir, 'not-a-workbook.xlsx'), 'id,title\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('XLSX reader', () => {
  it('reads the first worksheet; line is the spreadsheet row; dates, rich text and blank rows handled', async () => {
    const source = await openArticleSource(file);
    const rows: ImportRow[] = [];
    for await (const row of source.rows) rows.push(row);
    expect(rows.map((r) => r.line)).toEqual([2, 4]);
    const context = { categories: new Set(['medical-insurance']) };
    const first = validateArticle((rows[0] as { raw: Record<string, unknown> }).raw, context);
    expect(first.ok && first.record).toMatchObject({
      variants: ['异地就医怎么报销', '跨省就医备案'],
      answerFull: '备案渠道：国家医保服务平台App、“我的城市”App、区医保经办窗口。',
      tags: ['异地就医', '备案'],
      effectiveFrom: '2025-01-01',
      expiresAt: null,
    });
    const second = validateArticle((rows[1] as { raw: Record<string, unknown> }).raw, context);
    expect(second).toEqual({ ok: false, errors: ['effectiveFrom "2026-02-30" is not a real date'] });
    expect(source.progress.done).toBe(source.progress.total);
  });

  // Excel keeps text in a shared strings part; the streaming writer (our export) inline in the sheet.
  it.each([true, false])(
    'keeps long Chinese text intact across the chunks the workbook is inflated in (shared strings: %s)',
    async (useSharedStrings) => {
      // Deterministic, varied CJK text: ~360 KB of XML, so many 16 KB chunk edges fall inside a character.
      const answer = (row: number) =>
        Array.from({ length: 3000 }, (_, i) => String.fromCodePoint(0x4e00 + ((row * 7919 + i * 104729) % 20000))).join(
          '',
        );
      const target = path.join(dir, `long-text-${useSharedStrings}.xlsx`);
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: target, useSharedStrings });
      const sheet = workbook.addWorksheet('articles');
      sheet.addRow(['id', 'answerFull']).commit();
      for (let row = 0; row < 40; row++) sheet.addRow([`tax-${row + 100}`, answer(row)]).commit();
      sheet.commit();
      await workbook.commit();

      const texts: unknown[] = [];
      for await (const row of (await openArticleSource(target)).rows)
        texts.push((row as { raw: Record<string, unknown> }).raw.answerFull);
      expect(texts).toHaveLength(40);
      texts.forEach((text, row) => expect(text).toBe(answer(row)));
    },
  );

  it('fails the whole file when it is not a workbook', async () => {
    const source = await openArticleSource(path.join(dir, 'not-a-workbook.xlsx'));
    await expect(async () => {
      for await (const _row of source.rows);
    }).rejects.toThrow(/not a readable XLSX workbook/);
  });
});
