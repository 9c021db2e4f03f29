/**
 * Renders a statistical report (日报, 周报, 月报) for supervisors: a printable A4 HTML document (analytics/pdf.ts
 * prints it to PDF), an XLSX workbook and a CSV file. The figures are laid out once as plain tables
 * (`reportSections`) and each format only lays those out, so the three cannot disagree.
 */
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { esc } from '../core/html.js';
import { rankingChart, selfServiceChart, stackedPeriodChart } from './report-charts.js';
import type { Granularity, Overview, ReportKind, SatisfactionCounts, Series } from './types.js';

export interface ReportDocument {
  kind: ReportKind;
  periodStart: string;
  periodEnd: string;
  generatedAt: string;
  overview: Overview;
}

/** A rate (0..1, null without a denominator), a duration in seconds, or a growth factor. */
type Figure = { rate: number | null } | { seconds: number | null } | { ratio: number };
/** Plain strings are text (often citizens' words), plain numbers are counts. */
type Cell = string | number | Figure;

interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Whom the table is for, shown under its title. */
  note?: string;
  /** In HTML, shown as figure tiles rather than rows (a key-value table). */
  tiles?: boolean;
  /** The last row sums the others (shown bold). */
  totalRow?: boolean;
}

interface Section {
  /** The XLSX sheet name (≤ 31 characters). */
  sheet: string;
  /** The HTML chapter it belongs to; consecutive sections of one chapter share its heading. */
  chapter: string;
  tables: Table[];
  /** Only the HTML draws charts: a thunk, so XLSX and CSV never pay for ECharts. */
  chart?: () => string;
}

const KIND_NAMES: Record<ReportKind, string> = { daily: '日报', weekly: '周报', monthly: '月报' };
const REASON_NAMES: Record<string, string> = { requested: '群众要求', emergency: '紧急情况' };
const DISPOSITION_NAMES: Record<string, string> = {
  resolved: '已解决',
  ticket: '已登记工单',
  transferred_out: '已转外部处理',
  citizen_left: '市民已离开',
  invalid: '无效会话',
  handed_back: '交回智能助手',
};
const NO_DATA = '本期无数据';
const UNSTATED = '未注明';
const TOP_CATEGORIES = 10;
const MAX_TICKET_NUMBERS = 10;

/** "12345热线 月报（2026年11月）", "12345热线 周报（2026-11-23 至 2026-11-29）", "12345热线 日报（2026-11-30）". */
export function reportTitle(doc: ReportDocument): string {
  const [year, month] = doc.periodStart.split('-');
  const period =
    doc.kind === 'monthly'
      ? `${year}年${Number(month)}月`
      : doc.kind === 'weekly'
        ? `${doc.periodStart} 至 ${doc.periodEnd}`
        : doc.periodStart;
  return `12345热线 ${KIND_NAMES[doc.kind]}（${period}）`;
}

/** 12345-月报-2026-11.xlsx, 12345-周报-2026-11-23.csv, 12345-日报-2026-11-30.pdf. */
export function reportFileName(doc: ReportDocument, ext: 'xlsx' | 'csv' | 'pdf' | 'html'): string {
  const period = doc.kind === 'monthly' ? doc.periodStart.slice(0, 7) : doc.periodStart;
  return `12345-${KIND_NAMES[doc.kind]}-${period}.${ext}`;
}

// ---- Figures as text (HTML and CSV; XLSX keeps numbers and formats them in the cell) ----

/** 0.625 -> '62.5%' (half up on the decimal value, not its binary approximation); null -> '—'. */
export function formatRate(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) return '—';
  return `${(Math.round(Number((rate * 1000).toPrecision(12))) / 10).toFixed(1)}%`;
}

/** 65 -> '1分05秒', 3725 -> '1小时02分05秒'; null -> '—'. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const total = Math.round(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h) return `${h}小时${pad(m)}分${pad(s)}秒`;
  return m ? `${m}分${pad(s)}秒` : `${s}秒`;
}

/** 'YYYY-MM-DD HH:mm' in Beijing time (the hotline's), or the input when it is no date. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' }).format(
    d,
  );
}

function cellText(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number') return String(cell);
  if ('rate' in cell) return formatRate(cell.rate);
  if ('seconds' in cell) return formatSeconds(cell.seconds);
  return `${cell.ratio.toFixed(1)}×`;
}

// ---- The sections ----

const rate = (value: number | null): Figure => ({ rate: value });
const share = (count: number, total: number): Figure => rate(total ? count / total : null);
const orUnstated = (value: string) => value || UNSTATED;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** A period's start day as a row label: the day, the week it starts, or the month. */
function periodLabel(start: string, granularity: Granularity): string {
  if (granularity === 'month') return start.slice(0, 7);
  return granularity === 'week' ? `${start} 当周` : start;
}

/** Shorter for a chart's axis, where the table beside it has the full date: 11-23, 11-23 当周, 2026-11. */
function chartPeriodLabel(start: string, granularity: Granularity): string {
  return granularity === 'month' ? start.slice(0, 7) : periodLabel(start.slice(5), granularity);
}

function periodTable(title: string, periods: string[], series: Series[], granularity: Granularity): Table {
  const rows = series.length
    ? periods.map((p, i) => {
        const counts = series.map((s) => s.counts[i] ?? 0);
        return [periodLabel(p, granularity), ...counts, sum(counts)];
      })
    : [];
  if (rows.length) rows.push(['合计', ...series.map((s) => sum(s.counts)), sum(series.map((s) => sum(s.counts)))]);
  return { title, columns: ['周期', ...series.map((s) => s.name), '合计'], rows, totalRow: rows.length > 0 };
}

function overviewSection(o: Overview): Section {
  const t = o.totals;
  const rows: Cell[][] = [
    ['来访会话', t.conversations],
    ['群众消息', t.citizenMessages],
    ['工单', t.tickets],
    ['智能自助解决率', rate(t.selfServiceRate)],
    ['转人工率', rate(t.handoffRate)],
    ['紧急分流', t.emergencies],
    ['不予受理', t.refused],
    ['按时办结率', rate(t.complianceRate)],
    ['超期未办结', t.overdueOpen],
    ['满意率', rate(t.satisfactionRate)],
    ['满意度评价', t.satisfactionResponses],
  ];
  return {
    sheet: '总体情况',
    chapter: '总体情况',
    tables: [{ title: '总体情况', columns: ['指标', '数值'], rows, tiles: true }],
  };
}

function volumeSections(o: Overview): Section[] {
  const v = o.volume;
  const g = o.filters.granularity;
  const chartOf = (series: Series[], ariaLabel: string) =>
    sum(series.map((s) => sum(s.counts)))
      ? () => stackedPeriodChart({ periods: v.periods.map((p) => chartPeriodLabel(p, g)), series, ariaLabel })
      : undefined;
  const categoryTotal = sum(v.byCategory.map((c) => c.count));
  const top = v.byCategory.slice(0, TOP_CATEGORIES);
  const rest = v.byCategory.slice(TOP_CATEGORIES);
  const categoryRows: Cell[][] = top.map((c) => [c.code, c.name, c.count, share(c.count, categoryTotal)]);
  const restCount = sum(rest.map((c) => c.count));
  if (rest.length) categoryRows.push(['', `其他（${rest.length} 类）`, restCount, share(restCount, categoryTotal)]);
  const districtTotal = sum(v.byDistrict.map((d) => d.count));
  return [
    {
      sheet: '渠道',
      chapter: '渠道与诉求类型',
      tables: [periodTable('各渠道来访会话', v.periods, v.byChannel, g)],
      chart: chartOf(v.byChannel, '各渠道来访会话'),
    },
    {
      sheet: '诉求类型',
      chapter: '渠道与诉求类型',
      tables: [periodTable('各诉求类型工单', v.periods, v.byDemandType, g)],
      chart: chartOf(v.byDemandType, '各诉求类型工单'),
    },
    {
      sheet: '分类',
      chapter: '分类与区域',
      tables: [
        { title: `工单分类（前 ${TOP_CATEGORIES} 类）`, columns: ['代码', '分类', '工单', '占比'], rows: categoryRows },
      ],
      chart: top.length ? () => rankingChart({ items: top, ariaLabel: '工单分类' }) : undefined,
    },
    {
      sheet: '区域',
      chapter: '分类与区域',
      tables: [
        {
          title: '各区域工单',
          columns: ['区域', '工单', '占比'],
          rows: v.byDistrict.map((d) => [orUnstated(d.district), d.count, share(d.count, districtTotal)]),
        },
      ],
    },
  ];
}

function selfServiceSection(o: Overview): Section {
  const s = o.selfService;
  const g = o.filters.granularity;
  const summary: Cell[][] = [
    ['有把握作答', s.answered],
    ['推荐候选问题', s.suggested],
    ['未命中', s.missed],
    ['群众评价“有帮助”', s.helpful],
    ['群众评价“没解决”', s.unhelpful],
  ];
  const perPeriod = s.periods.map((p, i) => [
    periodLabel(p, g),
    s.conversations[i] ?? 0,
    s.selfServed[i] ?? 0,
    rate(s.rate[i] ?? null),
  ]);
  return {
    sheet: '智能应答',
    chapter: '智能应答',
    tables: [
      { title: '知识库应答', columns: ['指标', '数值'], rows: summary },
      { title: '每期自助解决', columns: ['周期', '来访会话', '智能自助解决', '智能自助解决率'], rows: perPeriod },
    ],
    chart: sum(s.conversations)
      ? () =>
          selfServiceChart({
            periods: s.periods.map((p) => chartPeriodLabel(p, g)),
            conversations: s.conversations,
            rate: s.rate,
            ariaLabel: '智能自助解决率',
          })
      : undefined,
  };
}

function handoffSection(o: Overview): Section {
  const h = o.handoffs;
  const summary: Cell[][] = [
    ['转人工', h.total],
    ['转人工率', rate(h.rate)],
    ['坐席已接入', h.wait.answered],
    ['未接入即结束', h.wait.abandoned],
    ['仍在等待', h.wait.waiting],
    ['排队等待（中位数）', { seconds: h.wait.p50Seconds }],
    ['排队等待（90% 分位）', { seconds: h.wait.p90Seconds }],
    ['排队等待（最长）', { seconds: h.wait.maxSeconds }],
  ];
  const reasonTotal = sum(h.reasons.map((r) => r.count));
  return {
    sheet: '转人工',
    chapter: '转人工',
    tables: [
      { title: '转人工概况', columns: ['指标', '数值'], rows: summary },
      {
        title: '转人工原因',
        columns: ['原因', '次数', '占比'],
        rows: h.reasons.map((r) => [REASON_NAMES[r.reason] ?? r.reason, r.count, share(r.count, reasonTotal)]),
      },
      {
        title: '处置结果',
        columns: ['处置', '次数'],
        rows: h.dispositions.map((d) => [DISPOSITION_NAMES[d.disposition] ?? (d.disposition || '未填写'), d.count]),
      },
      {
        title: '每期转人工',
        columns: ['周期', '转人工'],
        rows: h.periods.map((p, i) => [periodLabel(p, o.filters.granularity), h.counts[i] ?? 0]),
      },
    ],
  };
}

function deadlineSection(o: Overview): Section {
  const d = o.deadlines;
  const summary: Cell[][] = [
    ['办结', d.resolved],
    ['按时办结', d.onTime],
    ['超期办结', d.late],
    ['按时办结率', rate(d.complianceRate)],
    ['超期未办结（当前）', d.overdueOpen],
  ];
  const departments = d.byDepartment.map((x) => [
    orUnstated(x.department),
    x.resolved,
    x.onTime,
    share(x.onTime, x.resolved),
    x.overdueOpen,
  ]);
  return {
    sheet: '工单办理',
    chapter: '工单办理',
    tables: [
      { title: '办理时限', columns: ['指标', '数值'], rows: summary },
      { title: '各承办单位', columns: ['承办单位', '办结', '按时办结', '按时办结率', '超期未办结'], rows: departments },
    ],
  };
}

function satisfactionSection(o: Overview): Section {
  const { callback, handback } = o.satisfaction;
  const all: SatisfactionCounts = {
    satisfied: callback.satisfied + handback.satisfied,
    fair: callback.fair + handback.fair,
    dissatisfied: callback.dissatisfied + handback.dissatisfied,
    rate: null,
  };
  const row = (label: string, c: SatisfactionCounts, r: number | null): Cell[] => {
    const answers = c.satisfied + c.fair + c.dissatisfied;
    return [label, c.satisfied, c.fair, c.dissatisfied, answers, rate(r)];
  };
  const allAnswers = all.satisfied + all.fair + all.dissatisfied;
  return {
    sheet: '满意度',
    chapter: '满意度',
    tables: [
      {
        title: '满意度',
        columns: ['来源', '满意', '基本满意', '不满意', '评价数', '满意率'],
        rows: [
          row('工单回访', callback, callback.rate),
          row('人工服务结束后评价', handback, handback.rate),
          row('合计', all, allAnswers ? (all.satisfied + all.fair) / allAnswers : null),
        ],
        totalRow: true,
      },
    ],
  };
}

function unansweredSection(o: Overview): Section {
  return {
    sheet: '未解答问题',
    chapter: '未解答问题',
    tables: [
      {
        title: '未解答问题 Top',
        note: '知识库没有把握回答或群众评价“没解决”的问题，供知识库编辑补充。',
        columns: ['问题', '次数', '未命中', '没解决', '最近提问'],
        rows: o.unanswered.map((q) => [q.text, q.count, q.missed, q.unhelpful, formatTime(q.lastAt)]),
      },
    ],
  };
}

function problemSections(o: Overview): Section[] {
  const tickets = (numbers: string[]) =>
    numbers.length > MAX_TICKET_NUMBERS
      ? `${numbers.slice(0, MAX_TICKET_NUMBERS).join('、')} 等 ${numbers.length} 件`
      : numbers.join('、');
  return [
    {
      sheet: '热点',
      chapter: '热点与反复出现的问题',
      tables: [
        {
          title: '热点（较上一周期上升）',
          columns: ['分类', '区域', '本期', '上期', '增幅'],
          rows: o.hotspots.map((h) => [
            h.categoryName,
            orUnstated(h.district),
            h.current,
            h.previous,
            { ratio: h.ratio },
          ]),
        },
      ],
    },
    {
      sheet: '反复问题',
      chapter: '热点与反复出现的问题',
      tables: [
        {
          title: '反复出现的问题',
          columns: ['问题（关键词）', '工单', '分类', '涉及区域', '典型描述', '工单编号'],
          rows: o.clusters.map((c) => [
            c.label,
            c.count,
            c.categoryName,
            c.districts.map((d) => `${orUnstated(d.district)} ${d.count}`).join('、'),
            c.sample,
            tickets(c.ticketNumbers),
          ]),
        },
      ],
    },
  ];
}

/** The report's figures, section by section, in reading order; one XLSX sheet per section. */
function reportSections(doc: ReportDocument): Section[] {
  const o = doc.overview;
  return [
    overviewSection(o),
    ...volumeSections(o),
    selfServiceSection(o),
    handoffSection(o),
    deadlineSection(o),
    satisfactionSection(o),
    unansweredSection(o),
    ...problemSections(o),
  ];
}

/** What the report is, for the formats without a page header (XLSX, CSV). */
function aboutTable(doc: ReportDocument): Table {
  const rows: Cell[][] = [
    ['报告', reportTitle(doc)],
    ['统计周期', `${doc.periodStart} 至 ${doc.periodEnd}`],
    ['生成时间（北京时间）', formatTime(doc.generatedAt)],
  ];
  if (doc.overview.freshAt) rows.push(['会话数据截至', formatTime(doc.overview.freshAt)]);
  return { title: '报告信息', columns: ['项目', '内容'], rows };
}

/** Sections with the report's own facts appended to the first sheet. */
function fileSections(doc: ReportDocument): Section[] {
  const [first, ...rest] = reportSections(doc);
  return first ? [{ ...first, tables: [...first.tables, aboutTable(doc)] }, ...rest] : rest;
}

// ---- HTML ----

const CHAPTER_NUMBERS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二'];

/** Counts read easier grouped (12,345); everything else as the other formats show it. */
const htmlText = (cell: Cell) => esc(typeof cell === 'number' ? cell.toLocaleString('zh-CN') : cellText(cell));

function htmlTable(table: Table): string {
  if (!table.rows.length) return `<p class="empty">${NO_DATA}</p>`;
  const numeric = table.columns.map((_, i) => table.rows.some((r) => r[i] !== undefined && typeof r[i] !== 'string'));
  const cls = (i: number) => (numeric[i] ? ' class="num"' : '');
  const head = table.columns.map((c, i) => `<th${cls(i)}>${esc(c)}</th>`).join('');
  const last = table.rows.length - 1;
  const body = table.rows.map((row, r) => {
    const total = table.totalRow && r === last ? ' class="total"' : '';
    return `<tr${total}>${row.map((cell, i) => `<td${cls(i)}>${htmlText(cell)}</td>`).join('')}</tr>`;
  });
  // Two columns (a label and a figure) read better narrow than stretched across the page. A short table
  // moves whole to the next page; a long one (a month of days) breaks, its header repeated, not leaving a gap.
  const classes = [table.columns.length === 2 ? 'narrow' : '', table.rows.length <= 15 ? 'keep' : ''];
  const open = `<table class="${classes.join(' ').trim()}">`;
  return `${open}<thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

function htmlTiles(table: Table): string {
  const tiles = table.rows.map(
    ([label = '', value = '']) =>
      `<div class="tile"><div class="k">${htmlText(label)}</div><div class="v">${htmlText(value)}</div></div>`,
  );
  return `<div class="tiles">${tiles.join('')}</div>`;
}

/** A table under its title; the section's chart, if any, between the first table's title and its rows. */
function htmlBlock(table: Table, chapter: string, chart: string): string {
  const title = table.title === chapter ? '' : `<h3>${esc(table.title)}</h3>`;
  const note = table.note ? `<p class="note">${esc(table.note)}</p>` : '';
  const figure = chart ? `<figure>${chart}</figure>` : '';
  return `${title}${note}${figure}${table.tiles ? htmlTiles(table) : htmlTable(table)}`;
}

/** Consecutive sections of one chapter under one numbered heading. */
function htmlChapters(sections: Section[]): string {
  const chapters: { name: string; sections: Section[] }[] = [];
  for (const section of sections) {
    const last = chapters.at(-1);
    if (last?.name === section.chapter) last.sections.push(section);
    else chapters.push({ name: section.chapter, sections: [section] });
  }
  return chapters
    .map((chapter, i) => {
      const body = chapter.sections.flatMap((s) =>
        s.tables.map((t, j) => htmlBlock(t, chapter.name, j === 0 && s.chart ? s.chart() : '')),
      );
      return `<section><h2>${CHAPTER_NUMBERS[i] ?? i + 1}、${esc(chapter.name)}</h2>${body.join('')}</section>`;
    })
    .join('\n');
}

function htmlHeader(doc: ReportDocument): string {
  const meta: [string, string][] = [
    ['统计周期', `${doc.periodStart} 至 ${doc.periodEnd}`],
    ['生成时间（北京时间）', formatTime(doc.generatedAt)],
  ];
  if (doc.overview.freshAt) meta.push(['会话数据截至', formatTime(doc.overview.freshAt)]);
  const items = meta.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('');
  return `<header class="top"><p class="brand">12345 政务服务便民热线 · 统计报表</p><h1>${esc(reportTitle(doc))}</h1>
<dl class="meta">${items}</dl></header>`;
}

/** A4 portrait between the @page margins is 182 mm (≈ 688 CSS px): the charts are drawn 680 px wide. */
const REPORT_CSS = `
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: #1f2937; background: #fff; font: 10.5pt/1.55 "Noto Sans CJK SC", "WenQuanYi Micro Hei",
  "Microsoft YaHei", sans-serif; font-variant-numeric: tabular-nums; }
main { max-width: 182mm; margin: 0 auto; }
.top { border-bottom: 2px solid #1e40af; padding: 0 0 8px; margin: 0 0 8px; }
.brand { margin: 0; color: #1e40af; font-size: 9pt; letter-spacing: .08em; }
h1 { font-size: 18pt; margin: 2px 0 6px; }
.meta { display: flex; flex-wrap: wrap; gap: 2px 24px; margin: 0; font-size: 9pt; }
.meta div { display: flex; gap: 6px; }
.meta dt { color: #6b7280; }
.meta dd { margin: 0; }
h2 { font-size: 13pt; margin: 18px 0 8px; padding-left: 8px; border-left: 4px solid #1e40af; break-after: avoid; }
h3, .note { break-after: avoid; }
h3 { font-size: 10.5pt; margin: 12px 0 4px; }
table.keep, figure, .tiles { break-inside: avoid; page-break-inside: avoid; }
figure { margin: 6px 0; text-align: center; }
svg.chart { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
table.narrow { width: 60%; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { padding: 3px 6px; border-bottom: 1px solid #e5e7eb; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #f3f4f6; color: #374151; font-weight: 600; }
.num { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 1px solid #9ca3af; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; }
.tile { border: 1px solid #e5e7eb; border-radius: 6px; padding: 4px 8px; background: #f9fafb; }
.tile .k { font-size: 8.5pt; color: #6b7280; }
.tile .v { font-size: 14pt; font-weight: 650; color: #1e40af; }
.note, .empty { color: #6b7280; font-size: 9pt; margin: 2px 0 4px; }
footer { margin-top: 16px; padding-top: 6px; border-top: 1px solid #e5e7eb; color: #6b7280; font-size: 8.5pt; }
`;

/** The whole report: one A4 HTML document with nothing to fetch and nothing to run. */
export function reportHtml(doc: ReportDocument): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(reportTitle(doc))}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${htmlHeader(doc)}
${htmlChapters(reportSections(doc))}
<footer>由 minsheng 生成。比例保留一位小数；“—”表示没有可计算的数据。</footer>
</main>
</body>
</html>
`;
}

// ---- XLSX ----

/** Rates stay numbers (Excel sorts and charts them); waits are Excel durations shown as 分秒. */
function xlsxValue(cell: Cell): { value: ExcelJS.CellValue; numFmt?: string } {
  if (typeof cell === 'string') return { value: cell };
  if (typeof cell === 'number') return { value: cell, numFmt: '#,##0' };
  if ('rate' in cell) return cell.rate === null ? { value: '—' } : { value: cell.rate, numFmt: '0.0%' };
  if ('seconds' in cell)
    return cell.seconds === null
      ? { value: '—' }
      : { value: Math.round(cell.seconds) / 86_400, numFmt: '[m]"分"ss"秒"' };
  return { value: cell.ratio, numFmt: '0.0"×"' };
}

/** Display width in Excel's character units: CJK and full-width characters take two. */
function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? 2 : 1;
  return width;
}

const MAX_COLUMN_WIDTH = 50;
const GREY = { argb: 'FF6B7280' };

function addSheet(workbook: ExcelJS.Workbook, section: Section): void {
  // The first table's title and header rows stay in view (row 1 title, row 2 header).
  const sheet = workbook.addWorksheet(section.sheet, {
    views: [{ state: 'frozen', ySplit: 2 }],
    pageSetup: { paperSize: 9, orientation: 'portrait', fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
  });
  const widths: number[] = [];
  const measure = (i: number, text: string) => (widths[i] = Math.max(widths[i] ?? 8, textWidth(text) + 2));
  section.tables.forEach((table, t) => {
    if (t) sheet.addRow([]);
    const title = sheet.addRow(table.note ? [table.title, table.note] : [table.title]);
    title.font = { bold: true, size: 12 };
    if (table.note) title.getCell(2).font = { italic: true, color: GREY };
    const header = sheet.addRow(table.columns);
    header.font = { bold: true };
    header.eachCell((c) => (c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF3F4F6' } }));
    table.columns.forEach((c, i) => measure(i, c));
    if (!table.rows.length) sheet.addRow([NO_DATA]).font = { italic: true, color: GREY };
    table.rows.forEach((cells, r) => {
      const row = sheet.addRow([]);
      cells.forEach((cell, i) => {
        const { value, numFmt } = xlsxValue(cell);
        const target = row.getCell(i + 1);
        target.value = value;
        if (numFmt) target.numFmt = numFmt;
        else if (typeof cell !== 'string') target.alignment = { horizontal: 'right' };
        measure(i, cellText(cell));
      });
      if (table.totalRow && r === table.rows.length - 1) row.font = { bold: true };
    });
  });
  widths.forEach((width, i) => {
    const column = sheet.getColumn(i + 1);
    column.width = Math.min(width, MAX_COLUMN_WIDTH);
    // Long citizen text wraps instead of running across the sheet.
    if (width > MAX_COLUMN_WIDTH) column.alignment = { wrapText: true, vertical: 'top' };
  });
}

export async function reportXlsx(doc: ReportDocument): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'minsheng';
  workbook.lastModifiedBy = 'minsheng';
  workbook.title = reportTitle(doc);
  workbook.subject = '12345热线统计报表';
  const generated = new Date(doc.generatedAt);
  if (!Number.isNaN(generated.getTime())) workbook.created = workbook.modified = generated;
  for (const section of fileSections(doc)) addSheet(workbook, section);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

// ---- CSV ----

/**
 * Excel runs a cell that starts with one of these as a formula (CSV injection, e.g. `=cmd|' /C calc'!A0`);
 * a leading single quote makes it text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const csvText = (text: string) => (FORMULA_START.test(text) ? `'${text}` : text);
const csvCell = (cell: Cell): string | number => (typeof cell === 'number' ? cell : csvText(cellText(cell)));

/** Every table as a title row, a header row and its rows, tables apart by a blank line; BOM first for Excel. */
export function reportCsv(doc: ReportDocument): string {
  const records: (string | number)[][] = [];
  for (const table of fileSections(doc).flatMap((s) => s.tables)) {
    if (records.length) records.push([]);
    records.push((table.note ? [table.title, table.note] : [table.title]).map(csvText));
    records.push(table.columns.map(csvText));
    records.push(...(table.rows.length ? table.rows.map((row) => row.map(csvCell)) : [[NO_DATA]]));
  }
  return stringify(records, { bom: true, record_delimiter: 'windows' });
}
