// The ECharts options of the dashboard's charts, built from the overview's parts (analytics/types.ts); null
// where there is nothing to draw, so the panel says "暂无数据" instead of showing empty axes. Every name in
// them is drawn on the canvas or escaped by ECharts' own tooltip, never written as markup by this page.
import { formatCount, formatPeriod, formatRate, label, t } from './i18n.mjs';

const total = (counts) => counts.reduce((sum, n) => sum + (n ?? 0), 0);
const hasCounts = (series) => series.some((s) => total(s.counts) > 0);

const GRID = { left: 12, right: 20, top: 44, bottom: 12 };
const LEGEND = { type: 'scroll', top: 0 };
const COUNT_AXIS = { type: 'value', minInterval: 1 };
const valueFormatter = (value) => formatCount(value);
const wholePercent = (value) => `${Math.round(value * 100)}%`;
const periodAxis = (periods, granularity) => ({
  type: 'category',
  data: periods.map((p) => formatPeriod(p, granularity)),
});

/** Conversations by channel over time, stacked bars; each series' id is the channel's key. */
export function channelsOption(volume, granularity) {
  if (!hasCounts(volume.byChannel)) return null;
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter },
    legend: LEGEND,
    grid: GRID,
    xAxis: periodAxis(volume.periods, granularity),
    yAxis: COUNT_AXIS,
    series: volume.byChannel.map((s) => ({
      id: s.key,
      name: s.name,
      type: 'bar',
      stack: 'channels',
      barMaxWidth: 40,
      emphasis: { focus: 'series' },
      data: s.counts,
    })),
  };
}

/** Tickets by demand type over time, one line each; each series' id is the demand type's key. */
export function demandTypesOption(volume, granularity) {
  if (!hasCounts(volume.byDemandType)) return null;
  return {
    tooltip: { trigger: 'axis', valueFormatter },
    legend: LEGEND,
    grid: GRID,
    xAxis: { ...periodAxis(volume.periods, granularity), boundaryGap: false },
    yAxis: COUNT_AXIS,
    series: volume.byDemandType.map((s) => ({
      id: s.key,
      name: s.name,
      type: 'line',
      symbolSize: 7,
      emphasis: { focus: 'series' },
      data: s.counts,
    })),
  };
}

/** Tickets by major class, largest on top; each bar's data carries its code. */
export function categoriesOption(volume) {
  const rows = volume.byCategory.filter((c) => c.count > 0);
  if (rows.length === 0) return null;
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter },
    grid: { ...GRID, top: 12 },
    xAxis: COUNT_AXIS,
    yAxis: { type: 'category', inverse: true, data: rows.map((c) => c.name) },
    series: [
      {
        type: 'bar',
        name: t('chart.categories'),
        barMaxWidth: 24,
        label: { show: true, position: 'right' },
        data: rows.map((c) => ({ value: c.count, code: c.code })),
      },
    ],
  };
}

/** Tickets by district; each bar's data carries its district ('' for none given). */
export function districtsOption(volume) {
  const rows = volume.byDistrict.filter((d) => d.count > 0);
  if (rows.length === 0) return null;
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter },
    grid: GRID,
    xAxis: {
      type: 'category',
      data: rows.map((d) => d.district || t('chart.noDistrict')),
      axisLabel: { interval: 0, rotate: rows.length > 8 ? 30 : 0 },
    },
    yAxis: COUNT_AXIS,
    series: [
      {
        type: 'bar',
        name: t('chart.districts'),
        color: '#3a8fd9',
        barMaxWidth: 40,
        label: { show: true, position: 'top' },
        data: rows.map((d) => ({ value: d.count, district: d.district })),
      },
    ],
  };
}

/** Conversations per period (bars, series id `conversations`) and the self-service rate (line, id `rate`). */
export function selfServiceOption(selfService, granularity) {
  if (total(selfService.conversations) === 0) return null;
  return {
    tooltip: { trigger: 'axis' },
    legend: LEGEND,
    grid: GRID,
    xAxis: periodAxis(selfService.periods, granularity),
    yAxis: [
      COUNT_AXIS,
      { type: 'value', min: 0, max: 1, axisLabel: { formatter: wholePercent }, splitLine: { show: false } },
    ],
    series: [
      {
        id: 'conversations',
        name: t('chart.conversations'),
        type: 'bar',
        barMaxWidth: 40,
        color: '#9cc3ea',
        tooltip: { valueFormatter },
        data: selfService.conversations,
      },
      {
        id: 'rate',
        name: t('chart.rate'),
        type: 'line',
        yAxisIndex: 1,
        symbolSize: 7,
        color: '#1d7a3e',
        tooltip: { valueFormatter: formatRate },
        data: selfService.rate,
      },
    ],
  };
}

/** Handoffs by reason, a ring. */
export function handoffReasonsOption(handoffs) {
  const rows = handoffs.reasons.filter((r) => r.count > 0);
  if (rows.length === 0) return null;
  return {
    tooltip: { trigger: 'item', valueFormatter },
    legend: { ...LEGEND, bottom: 0, top: undefined },
    series: [
      {
        type: 'pie',
        name: t('chart.handoffs'),
        radius: ['38%', '66%'],
        center: ['50%', '45%'],
        label: { formatter: '{b}\n{c}' },
        data: rows.map((r) => ({ name: label('reason', r.reason), value: r.count })),
      },
    ],
  };
}

const SATISFACTION = [
  ['satisfied', '#1d7a3e'],
  ['fair', '#f0a500'],
  ['dissatisfied', '#c8161d'],
];

/** Satisfaction answers from ticket callbacks and after agents' hand-backs, stacked bars side by side. */
export function satisfactionOption(satisfaction) {
  const sources = [
    [t('chart.callback'), satisfaction.callback],
    [t('chart.handback'), satisfaction.handback],
  ];
  if (sources.every(([, c]) => c.satisfied + c.fair + c.dissatisfied === 0)) return null;
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter },
    legend: LEGEND,
    grid: GRID,
    xAxis: COUNT_AXIS,
    yAxis: { type: 'category', inverse: true, data: sources.map(([name]) => name) },
    series: SATISFACTION.map(([key, color]) => ({
      id: key,
      name: t(`satisfaction.${key}`),
      type: 'bar',
      stack: 'satisfaction',
      color,
      barMaxWidth: 28,
      data: sources.map(([, counts]) => counts[key]),
    })),
  };
}
