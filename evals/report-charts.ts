/**
 * Inline SVG charts and the escaping/number formatting of the eval report (evals/report.ts). Everything is
 * drawn server-side: no scripts, no external resources. Every string a caller passes in is escaped here.
 */

import { esc } from '../core/html.js';

/** Metrics whose name ends in Ms are milliseconds; all others are shares in 0..1. */
export const isMs = (metric: string): boolean => metric.endsWith('Ms');

/** 0.8765 -> '87.7%' (half up on the decimal value, not on its binary approximation). */
export function fmtPercent(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const tenths = Math.round(Number((value * 1000).toPrecision(12)));
  return `${(tenths / 10).toFixed(1)}%`;
}

export function fmtMs(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value)} ms` : '–';
}

export function fmtMetric(metric: string, value: number): string {
  return isMs(metric) ? fmtMs(value) : fmtPercent(value);
}

/** A threshold's bounds: '≥ 85.0%', '≤ 2.0%' or '80.0% – 90.0%'. */
export function fmtBounds(metric: string, min: number | undefined, max: number | undefined): string {
  const f = (v: number) => fmtMetric(metric, v);
  if (min !== undefined && max !== undefined) return `${f(min)} – ${f(max)}`;
  if (min !== undefined) return `≥ ${f(min)}`;
  return max !== undefined ? `≤ ${f(max)}` : '–';
}

/** Display names of the known metrics: [zh-CN, en]; others show as named. */
export const METRIC_NAMES: Record<string, readonly [string, string]> = {
  hitAt1: ['Hit@1', 'Hit@1'],
  hitAt5: ['Hit@5', 'Hit@5'],
  mrr: ['MRR', 'MRR'],
  noAnswerPrecision: ['无答案精确率', 'No-answer precision'],
  noAnswerRecall: ['无答案召回率', 'No-answer recall'],
  accuracy: ['准确率', 'Accuracy'],
  accuracyAt3: ['前三准确率', 'Accuracy@3'],
  emergencyRecall: ['紧急召回率', 'Emergency recall'],
  rightNumber: ['号码正确率', 'Right number'],
  falseAlarmRate: ['误报率', 'False-alarm rate'],
  refusedRight: ['正确不予受理', 'Refused right'],
  wronglyRefusedRate: ['误拒率', 'Wrongly refused'],
  turnAccuracy: ['轮次准确率', 'Turn accuracy'],
  slotAccuracy: ['槽位准确率', 'Slot accuracy'],
  demandTypeAccuracy: ['诉求类型准确率', 'Demand-type accuracy'],
  handoffRate: ['转人工率', 'Handoff rate'],
  answerCorrectness: ['回答正确率', 'Answer correctness'],
  articleAccuracy: ['文章命中率', 'Article accuracy'],
  factRecall: ['要点覆盖率', 'Fact recall'],
  answeredRate: ['作答率', 'Answered rate'],
  faithfulness: ['忠实度', 'Faithfulness'],
  emergencyPrecision: ['紧急精确率', 'Emergency precision'],
  refusalPrecision: ['不予受理精确率', 'Refusal precision'],
};
/** Line colours, in series order (fixed values: safe in style attributes). */
export const PALETTE = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#db2777'];

const n1 = (v: number) => (Math.round(v * 10) / 10).toString();
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Rough rendered width of text at 12px: CJK and full-width characters are twice as wide as Latin ones. */
function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? 12 : 7;
  return w;
}

function truncate(text: string, maxWidth: number): string {
  if (textWidth(text) <= maxWidth) return text;
  let out = '';
  for (const ch of text) {
    if (textWidth(`${out}${ch}…`) > maxWidth) break;
    out += ch;
  }
  return `${out}…`;
}

export interface TrendSeries {
  label: string;
  /** One value (0..1) per tick, undefined where the run did not measure it. */
  values: (number | undefined)[];
  /** Tooltip per tick. */
  titles: string[];
}
export interface TrendGuide {
  value: number;
  series: number;
  label: string;
}
export interface TrendChartInput {
  /** One per run, oldest first: a short label under the axis (e.g. the date) and its tooltip. */
  ticks: { label: string; title: string }[];
  series: TrendSeries[];
  /** Threshold lines, dashed, in their series' colour (labelled in a legend next to the chart). */
  guides: TrendGuide[];
  xTitle: string;
  ariaLabel: string;
}

/** A line chart over runs, y fixed at 0..100%. One run is drawn as points in the middle. */
export function trendChart(input: TrendChartInput): string {
  const W = 560;
  const H = 250;
  const m = { l: 48, r: 20, t: 14, b: 56 };
  const plotW = W - m.l - m.r;
  const plotH = H - m.t - m.b;
  const n = input.ticks.length;
  const pad = 16;
  const x = (i: number) => (n <= 1 ? m.l + plotW / 2 : m.l + pad + (i * (plotW - 2 * pad)) / (n - 1));
  const y = (v: number) => m.t + (1 - clamp01(v)) * plotH;
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line class="gridline" x1="${m.l}" x2="${W - m.r}" y1="${n1(y(t))}" y2="${n1(y(t))}"/>`,
      `<text class="tick" x="${m.l - 6}" y="${n1(y(t))}" text-anchor="end" dominant-baseline="middle">${t * 100}%</text>`,
    );
  }
  parts.push(`<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${m.t + plotH}" y2="${m.t + plotH}"/>`);
  parts.push(`<line class="axis" x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + plotH}"/>`);
  const step = Math.max(1, Math.ceil(n / 8));
  input.ticks.forEach((tick, i) => {
    if (i % step !== 0 && i !== n - 1) return;
    if (i === n - 1 && i % step !== 0 && i % step < step / 2) return;
    const tx = n1(x(i));
    parts.push(
      `<g><title>${esc(tick.title)}</title>`,
      `<line class="axis" x1="${tx}" x2="${tx}" y1="${m.t + plotH}" y2="${m.t + plotH + 4}"/>`,
      `<text class="tick" x="${tx}" y="${m.t + plotH + 16}" text-anchor="middle">#${i + 1}</text>`,
      `<text class="tick muted" x="${tx}" y="${m.t + plotH + 30}" text-anchor="middle">${esc(tick.label)}</text></g>`,
    );
  });
  parts.push(
    `<text class="axis-title" x="${m.l + plotW / 2}" y="${H - 4}" text-anchor="middle">${esc(input.xTitle)}</text>`,
  );
  for (const guide of input.guides) {
    const gy = n1(y(guide.value));
    const colour = PALETTE[guide.series % PALETTE.length];
    parts.push(
      `<g class="guide"><title>${esc(guide.label)}</title>`,
      `<line x1="${m.l}" x2="${W - m.r}" y1="${gy}" y2="${gy}" stroke="${colour}" stroke-dasharray="5 4"/>`,
      `</g>`,
    );
  }
  input.series.forEach((series, s) => {
    const colour = PALETTE[s % PALETTE.length];
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) parts.push(`<polyline class="line" stroke="${colour}" points="${run.join(' ')}"/>`);
      run = [];
    };
    series.values.forEach((v, i) =>
      v === undefined || !Number.isFinite(v) ? flush() : run.push(`${n1(x(i))},${n1(y(v))}`),
    );
    flush();
    series.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) return;
      const r = i === n - 1 ? 4.5 : 3.5;
      parts.push(
        `<circle class="point" cx="${n1(x(i))}" cy="${n1(y(v))}" r="${r}" fill="${colour}"><title>${esc(series.titles[i] ?? '')}</title></circle>`,
      );
    });
  });
  return `<svg class="chart trend" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(input.ariaLabel)}">${parts.join('')}</svg>`;
}

export interface Bar {
  label: string;
  /** Shown muted after the value, e.g. the number of cases. */
  note: string;
  value: number;
  title: string;
}

/** Tone of a share: good, fair or weak. */
export function tone(value: number, lowerIsBetter: boolean): 'good' | 'fair' | 'weak' {
  if (lowerIsBetter) return value <= 0.02 ? 'good' : value <= 0.1 ? 'fair' : 'weak';
  return value >= 0.9 ? 'good' : value >= 0.75 ? 'fair' : 'weak';
}

/** Horizontal bars, one per row in the order given, x fixed at 0..100%. */
export function barChart(bars: Bar[], opts: { ariaLabel: string; lowerIsBetter: boolean }): string {
  const W = 560;
  const labelW = 150;
  const valueW = 96;
  const rowH = 24;
  const top = 6;
  const plotW = W - labelW - valueW;
  const rowsH = bars.length * rowH;
  const H = top + rowsH + 24;
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const gx = n1(labelW + t * plotW);
    parts.push(
      `<line class="${t === 0 ? 'axis' : 'gridline'}" x1="${gx}" x2="${gx}" y1="${top}" y2="${top + rowsH}"/>`,
      `<text class="tick" x="${gx}" y="${top + rowsH + 16}" text-anchor="middle">${t * 100}%</text>`,
    );
  }
  bars.forEach((bar, i) => {
    const y = top + i * rowH;
    const w = clamp01(bar.value) * plotW;
    const mid = n1(y + rowH / 2);
    parts.push(
      `<g class="bar-row"><title>${esc(bar.title)}</title>`,
      `<text class="label" x="${labelW - 8}" y="${mid}" text-anchor="end" dominant-baseline="middle">${esc(truncate(bar.label, labelW - 14))}</text>`,
      `<rect class="bar ${tone(bar.value, opts.lowerIsBetter)}" x="${labelW}" y="${y + 5}" width="${n1(w)}" height="${rowH - 10}" rx="3"/>`,
      `<text class="value" x="${n1(labelW + w + 6)}" y="${mid}" dominant-baseline="middle">${esc(fmtPercent(bar.value))}`,
      `<tspan class="muted"> ${esc(bar.note)}</tspan></text></g>`,
    );
  });
  return `<svg class="chart bars" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.ariaLabel)}">${parts.join('')}</svg>`;
}

/** 'YYYY-MM-DD HH:mm' in Beijing time (the hotline's), or the input as given when it is no date. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' }).format(
    d,
  );
}

/**
 * A confusion matrix as an HTML table (rows = expected, columns = predicted): each cell shaded by its share
 * of the row, green on the diagonal and red off it, with the row's total and recall.
 */
export function heatTable(
  labels: string[],
  matrix: number[][],
  words: { corner: string; total: string; recall: string },
): string {
  const head = labels.map((l) => `<th scope="col">${esc(l)}</th>`).join('');
  const body = labels.map((expected, r) => {
    const row = labels.map((_, c) => matrix[r]?.[c] ?? 0);
    const sum = row.reduce((a, b) => a + b, 0);
    const cells = row.map((v, c) => {
      const share = sum ? v / sum : 0;
      const rgb = r === c ? '21,128,61' : '185,28,28';
      const ink = share > 0.55 ? ';color:#fff' : '';
      const style = v ? ` style="background:rgba(${rgb},${(0.1 + share * 0.8).toFixed(2)})${ink}"` : '';
      const title = `${expected} → ${labels[c]}: ${v} (${fmtPercent(share)})`;
      return `<td class="num${r === c ? ' diag' : ''}"${style} title="${esc(title)}">${v}</td>`;
    });
    const recall = sum ? fmtPercent((row[r] ?? 0) / sum) : '–';
    return `<tr><th scope="row">${esc(expected)}</th>${cells.join('')}<td class="num total">${sum}</td><td class="num total">${recall}</td></tr>`;
  });
  return `<table class="confusion"><thead><tr><th class="corner">${esc(words.corner)}</th>${head}<th>${esc(words.total)}</th>
<th>${esc(words.recall)}</th></tr></thead><tbody>${body.join('')}</tbody></table>`;
}

/** The report's whole stylesheet (inline: the document loads nothing). */
export const REPORT_CSS = `
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f3f5f8; --card: #fff; --brand: #1e40af;
  --good: #15803d; --fair: #d97706; --weak: #dc2626; --good-bg: #ecfdf3; --weak-bg: #fef2f2; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.55 system-ui, -apple-system, 'Segoe UI',
  'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC',
  'WenQuanYi Micro Hei', sans-serif; font-variant-numeric: tabular-nums; }
main { max-width: 1220px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 26px; margin: 0; letter-spacing: .02em; }
h2 { font-size: 19px; margin: 36px 0 14px; padding-left: 10px; border-left: 4px solid var(--brand); }
h3 { font-size: 16px; margin: 0; }
h3 small, figcaption small { color: var(--muted); font-weight: 400; font-size: 12px; margin-left: 8px; }
.top { background: linear-gradient(135deg, #1e3a8a, #2563eb); color: #fff; border-radius: 14px; padding: 22px 26px; }
.top .title { display: flex; align-items: center; gap: 14px; }
.meta { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px 24px; margin: 18px 0 0; }
.meta dt { font-size: 12px; opacity: .75; }
.meta dd { margin: 2px 0 0; font-weight: 600; word-break: break-all; }
.badge { display: inline-block; padding: 2px 12px; border-radius: 999px; font-weight: 700; font-size: 13px; }
.badge.pass { background: var(--good-bg); color: var(--good); border: 1px solid #86efac; }
.badge.fail { background: var(--weak-bg); color: var(--weak); border: 1px solid #fca5a5; }
.top .badge { font-size: 15px; padding: 3px 16px; }
nav { display: flex; flex-wrap: wrap; gap: 8px; margin: 16px 0 0; }
nav a { color: var(--brand); background: var(--card); border: 1px solid var(--line); border-radius: 999px;
  padding: 3px 14px; text-decoration: none; font-size: 13px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px;
  box-shadow: 0 1px 2px rgba(15, 23, 42, .05); margin: 0 0 16px; min-width: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 16px; align-items: start; }
.grid > .card { margin: 0; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 7px 10px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
thead th { font-size: 12px; color: var(--muted); font-weight: 600; background: #f9fafb; }
.num { text-align: right; white-space: nowrap; }
tr.miss td { background: var(--weak-bg); }
tr.miss td:first-child { box-shadow: inset 3px 0 0 var(--weak); }
.suite { border-top: 4px solid var(--good); }
.suite.has-miss { border-top-color: var(--weak); }
.suite-head { display: flex; align-items: center; gap: 10px; }
.kind { font-size: 12px; color: var(--brand); background: #eff6ff; border-radius: 6px; padding: 1px 8px; }
.counts { color: var(--muted); margin: 4px 0 12px; }
.counts b { color: var(--ink); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 8px; margin-bottom: 8px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px; background: #fafbfc; }
.tile .k { font-size: 12px; line-height: 1.35; color: var(--muted); overflow-wrap: anywhere; }
.tile .v { font-size: 17px; font-weight: 650; }
.tile.main { background: #eff6ff; border-color: #bfdbfe; }
.tile.main .v { font-size: 21px; color: var(--brand); }
.tile.miss { background: var(--weak-bg); border-color: #fca5a5; }
.tile.miss .v { color: var(--weak); }
.latency { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 10px 0 0; padding-top: 10px; border-top: 1px dashed var(--line);
  color: var(--muted); font-size: 13px; }
.latency b { color: var(--ink); font-weight: 600; margin-left: 4px; }
.chart { display: block; width: 100%; max-width: 100%; height: auto; }
.chart text { font-size: 12px; fill: var(--ink); font-family: inherit; }
.chart .tick { fill: var(--muted); font-size: 11px; }
.chart .muted { fill: #9ca3af; }
.chart .axis-title { fill: var(--muted); font-size: 12px; }
.chart .gridline { stroke: #eef0f3; }
.chart .axis { stroke: #9ca3af; }
.chart .line { fill: none; stroke-width: 2.2; stroke-linejoin: round; stroke-linecap: round; }
.chart .point { stroke: #fff; stroke-width: 1.5; }
.chart .bar.good { fill: #22c55e; } .chart .bar.fair { fill: #f59e0b; } .chart .bar.weak { fill: #ef4444; }
.chart .bar-row:hover rect { opacity: .8; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12px; color: var(--muted); margin-top: 6px; }
.legend i { display: inline-block; width: 14px; height: 4px; border-radius: 2px; margin-right: 6px; vertical-align: middle; }
.legend i.dash { height: 0; background: none; border-top: 2px dashed; border-radius: 0; }
.confusion { width: auto; min-width: 60%; }
.confusion th, .confusion td { border: 1px solid var(--line); text-align: center; min-width: 76px; }
.confusion tbody th { text-align: right; background: #f9fafb; }
.confusion .corner { font-size: 11px; }
.confusion td.diag { font-weight: 700; outline: 2px solid var(--good); outline-offset: -2px; }
.confusion td.total { background: #f9fafb; color: var(--muted); }
.scroll { overflow-x: auto; }
.cases td { word-break: break-word; }
.cases td.id { white-space: nowrap; font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 12px; }
.cases td.got { color: var(--weak); }
.cases td.detail { color: var(--muted); font-size: 13px; }
.empty, .note { color: var(--muted); margin: 6px 0; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; text-align: center; }
@media print { body { background: #fff; } .card { box-shadow: none; break-inside: avoid; } nav { display: none; } }
`;
