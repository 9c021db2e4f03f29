import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import {
  formatRate,
  formatSeconds,
  reportCsv,
  reportFileName,
  reportHtml,
  reportTitle,
  reportXlsx,
  type ReportDocument,
} from './report-render.js';
import type { Overview } from './types.js';
import { emptyOverview, sampleOverview, XSS } from './sample-overview.js';

const monthly = (overview: Overview): ReportDocument => ({
  kind: 'monthly',
  periodStart: '2026-11-01',
  periodEnd: '2026-11-30',
  generatedAt: '2026-12-01T01:00:00Z',
  overview,
});

const TITLE = '12345热线 月报（2026年11月）';

describe('report titles and file names', () => {
  it('names the period the way supervisors write it', () => {
    const doc = monthly(emptyOverview());
    expect(reportTitle(doc)).toBe(TITLE);
    expect(reportTitle({ ...doc, kind: 'weekly', periodStart: '2026-11-23', periodEnd: '2026-11-29' })).toBe(
      '12345热线 周报（2026-11-23 至 2026-11-29）',
    );
    expect(reportTitle({ ...doc, kind: 'daily', periodStart: '2026-11-30', periodEnd: '2026-11-30' })).toBe(
      '12345热线 日报（2026-11-30）',
    );
    expect(reportFileName(doc, 'xlsx')).toBe('12345-月报-2026-11.xlsx');
    expect(reportFileName({ ...doc, kind: 'daily', periodStart: '2026-11-30' }, 'csv')).toBe(
      '12345-日报-2026-11-30.csv',
    );
    expect(reportFileName({ ...doc, kind: 'weekly', periodStart: '2026-11-23' }, 'pdf')).toBe(
      '12345-周报-2026-11-23.pdf',
    );
  });

  it('shows rates with one decimal and waits in minutes and seconds', () => {
    expect(formatRate(0.625)).toBe('62.5%');
    expect(formatRate(0.0005)).toBe('0.1%');
    expect(formatRate(null)).toBe('—');
    expect(formatSeconds(65)).toBe('1分05秒');
    expect(formatSeconds(9)).toBe('9秒');
    expect(formatSeconds(3725)).toBe('1小时02分05秒');
    expect(formatSeconds(null)).toBe('—');
  });
});

describe('reportHtml', () => {
  const html = reportHtml(monthly(sampleOverview()));

  it('carries the title, the period and the figures', () => {
    expect(html).toContain(`<title>${TITLE}</title>`);
    expect(html).toContain(`<h1>${TITLE}</h1>`);
    expect(html).toContain('2026-11-01 至 2026-11-30');
    expect(html).toContain('2026-12-01 09:00'); // generated, Beijing time
    for (const figure of ['62.5%', '10.0%', '87.5%', '90.0%', '1,200', '4,800', '1分05秒', '1小时02分05秒', '2.5×'])
      expect(html).toContain(figure);
    for (const label of [
      '群众要求',
      '紧急情况',
      'low-confidence',
      '未注明',
      '未填写',
      '市生态环境局',
      '供知识库编辑补充',
    ])
      expect(html).toContain(label);
    expect(html).toContain('其他（2 类）');
  });

  it('escapes what citizens wrote', () => {
    expect(html).not.toContain('<script');
    expect(html).toContain('小区楼下烧烤店夜间油烟很大&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('环境保护&lt;script&gt;');
    expect(html).toContain('=cmd|&#39; /C calc&#39;!A0');
  });

  it('draws charts as inline SVG and loads nothing', () => {
    expect(html.match(/<svg /g)?.length).toBe(4);
    expect(html).toContain('@page { size: A4; margin: 16mm 14mm; }');
    expect(html).toMatch(/Noto Sans CJK SC/);
    const urls = html.match(/https?:\/\/[^\s"')<]*/g) ?? [];
    expect(urls.filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/.test(u))).toEqual([]);
    expect(html).not.toMatch(/<(script|link|img|iframe|object)\b/i);
    expect(html).not.toMatch(/\b(src|href)=/i);
  });
});

async function readXlsx(buffer: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  return workbook;
}

const SHEETS = [
  '总体情况',
  '渠道',
  '诉求类型',
  '分类',
  '区域',
  '智能应答',
  '转人工',
  '工单办理',
  '满意度',
  '未解答问题',
  '热点',
  '反复问题',
];

describe('reportXlsx', () => {
  it('writes one sheet per section with numbers as numbers and rates as percentages', async () => {
    const workbook = await readXlsx(await reportXlsx(monthly(sampleOverview())));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(SHEETS);
    expect(workbook.creator).toBe('minsheng');
    expect(workbook.title).toBe(TITLE);

    const overview = workbook.getWorksheet('总体情况')!;
    expect(overview.getCell('A1').value).toBe('总体情况');
    expect(overview.getRow(2).values).toEqual([undefined, '指标', '数值']);
    expect(overview.getRow(2).font?.bold).toBe(true);
    expect(overview.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
    expect(overview.getRow(3).values).toEqual([undefined, '来访会话', 1200]);
    const selfService = overview.getCell('B6');
    expect(overview.getCell('A6').value).toBe('智能自助解决率');
    expect(selfService.value).toBe(0.625);
    expect(selfService.numFmt).toBe('0.0%');

    const channels = workbook.getWorksheet('渠道')!;
    expect(channels.getRow(2).values).toEqual([undefined, '周期', '网页', '电话', '合计']);
    expect(channels.getRow(3).values).toEqual([undefined, '2026-11-02 当周', 100, 150, 250]);
    expect(channels.getRow(7).values).toEqual([undefined, '合计', 500, 700, 1200]);

    const handoffs = workbook.getWorksheet('转人工')!;
    const p50 = handoffs.getCell('B8');
    expect(handoffs.getCell('A8').value).toBe('排队等待（中位数）');
    // An Excel duration (days since 1899-12-30), which exceljs reads back as a date.
    expect(p50.numFmt).toBe('[m]"分"ss"秒"');
    expect(p50.value).toEqual(new Date(Date.UTC(1899, 11, 30, 0, 1, 5)));

    const questions = workbook.getWorksheet('未解答问题')!;
    const injected = questions.getCell('A3');
    expect(injected.value).toBe("=cmd|' /C calc'!A0");
    expect(injected.type).toBe(ExcelJS.ValueType.String);
    expect(questions.getCell('B3').value).toBe(3);

    const hotspots = workbook.getWorksheet('热点')!;
    expect(hotspots.getRow(3).values).toEqual([undefined, '噪声污染', '高新区', 15, 6, 2.5]);
    expect(workbook.getWorksheet('区域')!.getCell('A4').value).toBe('未注明');
  });
});

describe('reportCsv', () => {
  const csv = reportCsv(monthly(sampleOverview()));
  const rows: string[][] = parse(csv, { bom: true, relax_column_count: true, skip_empty_lines: false });

  /** A table's rows after its title row and header row, up to the blank line. */
  function table(title: string): string[][] {
    const start = rows.findIndex((r) => r[0] === title);
    expect(start, `table ${title}`).toBeGreaterThanOrEqual(0);
    const end = rows.findIndex((r, i) => i > start && r.length === 1 && r[0] === '');
    return rows.slice(start + 1, end < 0 ? undefined : end);
  }

  it('starts with a BOM so Excel reads the Chinese as UTF-8', () => {
    expect(csv.startsWith('\uFEFF总体情况')).toBe(true);
  });

  it('has every table, with the same figures as the other formats', () => {
    expect(table('总体情况').slice(0, 4)).toEqual([
      ['指标', '数值'],
      ['来访会话', '1200'],
      ['群众消息', '4800'],
      ['工单', '40'],
    ]);
    expect(table('总体情况')).toContainEqual(['智能自助解决率', '62.5%']);
    expect(table('报告信息')).toContainEqual(['报告', TITLE]);
    expect(table('各渠道来访会话')[0]).toEqual(['周期', '网页', '电话', '合计']);
    expect(table('转人工概况')).toContainEqual(['排队等待（中位数）', '1分05秒']);
    expect(table('转人工原因')).toContainEqual(['群众要求', '100', '83.3%']);
    expect(table('满意度')).toContainEqual(['合计', '14', '4', '2', '20', '90.0%']);
    expect(table('反复出现的问题')[1]).toEqual([
      '油烟 · 烧烤 · 夜间',
      '7',
      '环境保护',
      '高新区 5、未注明 2',
      `小区楼下烧烤店夜间油烟很大${XSS}`,
      'GD20261101001、GD20261102003',
    ]);
  });

  it('turns cells Excel would run as formulas into text', () => {
    const [, first] = table('未解答问题 Top');
    expect(first?.[0]).toBe("'=cmd|' /C calc'!A0");
  });
});

describe('an empty period', () => {
  const doc = monthly(emptyOverview());

  it('renders in every format, saying there is no data', async () => {
    const html = reportHtml(doc);
    expect(html).toContain(TITLE);
    expect(html).toContain('本期无数据');
    expect(html).not.toContain('<svg');
    expect(html).toContain('—');

    const workbook = await readXlsx(await reportXlsx(doc));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(SHEETS);
    expect(workbook.getWorksheet('总体情况')!.getCell('B6').value).toBe('—');
    expect(workbook.getWorksheet('热点')!.getCell('A3').value).toBe('本期无数据');

    const rows: string[][] = parse(reportCsv(doc), { bom: true, relax_column_count: true });
    expect(rows).toContainEqual(['未解答问题 Top', '知识库没有把握回答或群众评价“没解决”的问题，供知识库编辑补充。']);
    expect(rows.filter((r) => r[0] === '本期无数据').length).toBeGreaterThan(5);
  });
});
