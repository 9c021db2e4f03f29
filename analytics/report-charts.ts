/**
 * The statistical report's charts, drawn server-side by Apache ECharts as inline SVG strings: no script, no
 * external resource. ECharts escapes every label it writes into the SVG, so callers pass data names (which
 * citizens and staff typed) through as plain strings.
 */
import { esc } from '../core/html.js';
import * as echarts from 'echarts';

/** Wide enough to read, narrow enough for A4 portrait between 14 mm margins (≈ 687 CSS px). */
export const CHART_WIDTH = 680;

/** Single quotes: ECharts copies this into a double-quoted style attribute unescaped. */
export const CHART_FONT = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif";

const PALETTE = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#dc2626'];

/**
 * Renders one option to an SVG string. The `:hover` rules ECharts appends are for interactive charts; a
 * printed report has no pointer, so they are dropped.
 */
function renderSvg(option: echarts.EChartsOption, height: number, ariaLabel: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: CHART_WIDTH, height });
  try {
    chart.setOption({
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: CHART_FONT, fontSize: 12 },
      ...option,
    });
    const svg = chart.renderToSVGString().replace(/<style\b[\s\S]*?<\/style>/g, '');
    return svg.replace('<svg ', `<svg class="chart" role="img" aria-label="${esc(ariaLabel)}" `);
  } finally {
    chart.dispose();
  }
}

export interface PeriodSeries {
  name: string;
  counts: number[];
}

/** Counts per period, one stacked bar per period and one colour per series, with the total as a line. */
export function stackedPeriodChart(input: { periods: string[]; series: PeriodSeries[]; ariaLabel: string }): string {
  const totals = input.periods.map((_, i) => input.series.reduce((sum, s) => sum + (s.counts[i] ?? 0), 0));
  return renderSvg(
    {
      legend: { bottom: 0, type: 'plain' },
      grid: { left: 48, right: 16, top: 28, bottom: 64 },
      xAxis: { type: 'category', data: input.periods, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        ...input.series.map((s) => ({
          type: 'bar' as const,
          name: s.name,
          stack: 'total',
          data: s.counts,
          barMaxWidth: 36,
        })),
        {
          type: 'line',
          name: '合计',
          data: totals,
          color: '#374151',
          symbolSize: 5,
          lineStyle: { width: 1.5, type: 'dashed' },
        },
      ],
    },
    300,
    input.ariaLabel,
  );
}

/** Horizontal bars, largest on top, each labelled with its count. */
export function rankingChart(input: { items: { name: string; count: number }[]; ariaLabel: string }): string {
  // ECharts draws the first category at the bottom: reverse so the list reads top-down like the table.
  const items = [...input.items].reverse();
  return renderSvg(
    {
      grid: { left: 150, right: 48, top: 8, bottom: 28 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: {
        type: 'category',
        data: items.map((i) => i.name),
        axisLabel: { width: 136, overflow: 'truncate' },
      },
      series: [
        {
          type: 'bar',
          name: '工单',
          data: items.map((i) => i.count),
          barMaxWidth: 18,
          label: { show: true, position: 'right' },
        },
      ],
    },
    Math.max(120, 40 + items.length * 26),
    input.ariaLabel,
  );
}

/** Conversations per period as bars (left axis) and the self-service rate as a line (right axis, 0–100%). */
export function selfServiceChart(input: {
  periods: string[];
  conversations: number[];
  rate: (number | null)[];
  ariaLabel: string;
}): string {
  return renderSvg(
    {
      legend: { bottom: 0 },
      grid: { left: 48, right: 56, top: 28, bottom: 64 },
      xAxis: { type: 'category', data: input.periods, axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: 'value', name: '会话', minInterval: 1 },
        {
          type: 'value',
          name: '解决率',
          min: 0,
          max: 100,
          axisLabel: { formatter: '{value}%' },
          splitLine: { show: false },
        },
      ],
      series: [
        { type: 'bar', name: '来访会话', data: input.conversations, barMaxWidth: 36, color: '#93c5fd' },
        {
          type: 'line',
          name: '智能自助解决率',
          yAxisIndex: 1,
          // Null (no conversations) leaves a gap rather than a misleading 0%.
          data: input.rate.map((r) => (r === null ? null : Math.round(r * 1000) / 10)),
          color: '#059669',
          symbolSize: 6,
        },
      ],
    },
    300,
    input.ariaLabel,
  );
}
