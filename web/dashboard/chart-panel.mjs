/* global echarts, ResizeObserver, matchMedia */
// One chart on the dashboard: a titled panel around an ECharts instance (canvas renderer), "暂无数据" in its
// place when there is nothing to draw, resized with its box (window resizes and layout changes alike).
// ECharts is the browser bundle the page loads before its modules (/dashboard/vendor/echarts.min.js).
import { h } from '/common/dom.mjs';
import { getLocale, t } from './i18n.mjs';

const PALETTE = ['#1b4f8a', '#3a8fd9', '#1d7a3e', '#f0a500', '#c8161d', '#5b3fa6', '#0f8b8d', '#b86e00', '#7a8797'];
const FONT = "'PingFang SC', 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', system-ui, sans-serif";

/** What every chart shares: the palette, the font, the tooltip kept inside the chart, labels for screen readers. */
function baseOption() {
  return {
    color: PALETTE,
    animation: !matchMedia('(prefers-reduced-motion: reduce)').matches,
    aria: { enabled: true, decal: { show: false } },
    textStyle: { fontFamily: FONT },
    tooltip: { confine: true },
  };
}

export class ChartPanel {
  /**
   * `name` marks the panel (`data-chart`) for tests and styles; `onClick(params)` runs on a click on a bar,
   * point or slice; `extra` is content under the chart (figures, a table).
   */
  constructor({ name, title, hint, onClick, extra }) {
    this.onClick = onClick;
    this.chart = null;
    this.box = h('div', { class: 'chart', hidden: true });
    this.empty = h('p', { class: 'chart-empty' }, t('status.empty'));
    this.el = h(
      'section',
      { class: ['panel', 'chart-panel', onClick && 'drillable'], dataset: { chart: name } },
      h('div', { class: 'panel-head' }, h('h2', {}, title), hint ? h('p', { class: 'hint' }, hint) : null),
      this.box,
      this.empty,
      extra ?? null,
    );
    this.observer = new ResizeObserver(() => this.chart?.resize());
    this.observer.observe(this.box);
  }

  /** Draws `option` (merged over the shared one), or shows "暂无数据" when it is null. */
  show(option) {
    if (!option) {
      this.chart?.dispose();
      this.chart = null;
      this.box.hidden = true;
      this.empty.hidden = false;
      this.empty.textContent = t('status.empty');
      return;
    }
    if (typeof echarts === 'undefined') {
      this.empty.hidden = false;
      this.empty.textContent = t('chart.unavailable');
      return;
    }
    this.empty.hidden = true;
    this.box.hidden = false;
    if (!this.chart) {
      this.chart = echarts.init(this.box, null, { renderer: 'canvas', locale: getLocale() === 'en' ? 'EN' : 'ZH' });
      if (this.onClick) this.chart.on('click', (params) => this.onClick(params));
    }
    this.chart.setOption({ ...baseOption(), ...option }, { notMerge: true });
  }

  dispose() {
    this.observer.disconnect();
    this.chart?.dispose();
    this.chart = null;
  }
}
