// The dashboard's panels under the key figures: the charts (with the figures beside them), deadlines by
// department, and the tables of unanswered questions, hot spots and recurring problems. A click on a bar, a
// point, a figure or a hot spot opens its records, with the clicked dimension and period as extra filters.
import { h, replace } from '/common/dom.mjs';
import { ChartPanel } from './chart-panel.mjs';
import {
  categoriesOption,
  channelsOption,
  demandTypesOption,
  districtsOption,
  handoffReasonsOption,
  satisfactionOption,
  selfServiceOption,
} from './chart-options.mjs';
import { deadlinesFigures, handoffFigures, satisfactionFigures, selfServiceFigures } from './figures.mjs';
import { dimensionLabel, periodLabel, t } from './i18n.mjs';
import { clustersTable, hotspotsTable, unansweredTable } from './tables.mjs';

/** `drill(spec)` opens records (see drill.mjs). Answers `{ el, render(overview), dispose() }`. */
export function renderPanels({ drill }) {
  let overview = null;
  const period = (periods, index) => {
    const day = periods[index];
    return { period: day, label: periodLabel(day, overview.filters.granularity) };
  };
  /** A click on a series of a chart over time: its key (the series id) and period. */
  const seriesDrill = (kind, dimension, periods) => (p) => {
    if (p.componentType !== 'series' || !p.seriesId) return;
    const at = period(periods(), p.dataIndex);
    drill({
      kind,
      ...(kind === 'tickets' ? { state: 'all' } : { metric: 'all' }),
      extra: { [dimension]: p.seriesId },
      period: at.period,
      labels: [dimensionLabel(dimension, p.seriesName), at.label],
    });
  };
  const extra = () => h('div', { class: 'panel-extra' });

  const charts = {
    channels: new ChartPanel({
      name: 'channels',
      title: t('chart.channels'),
      hint: t('chart.hint'),
      onClick: seriesDrill('conversations', 'channel', () => overview.volume.periods),
    }),
    demandTypes: new ChartPanel({
      name: 'demandTypes',
      title: t('chart.demandTypes'),
      hint: t('chart.hint'),
      onClick: seriesDrill('tickets', 'demandType', () => overview.volume.periods),
    }),
    categories: new ChartPanel({
      name: 'categories',
      title: t('chart.categories'),
      hint: t('chart.hint'),
      onClick: (p) => {
        if (!p.data?.code) return;
        drill({
          kind: 'tickets',
          state: 'all',
          extra: { category: p.data.code },
          labels: [dimensionLabel('category', p.name)],
        });
      },
    }),
    districts: new ChartPanel({
      name: 'districts',
      title: t('chart.districts'),
      hint: t('chart.hint'),
      onClick: (p) => {
        // Tickets without a district cannot be asked for by district.
        if (!p.data?.district) return;
        drill({
          kind: 'tickets',
          state: 'all',
          extra: { district: p.data.district },
          labels: [dimensionLabel('district', p.data.district)],
        });
      },
    }),
    selfService: new ChartPanel({
      name: 'selfService',
      title: t('chart.selfService'),
      hint: t('chart.hint'),
      extra: extra(),
      onClick: (p) => {
        if (p.componentType !== 'series') return;
        const at = period(overview.selfService.periods, p.dataIndex);
        const metric = p.seriesId === 'rate' ? 'selfServed' : 'all';
        drill({ kind: 'conversations', metric, period: at.period, labels: [at.label] });
      },
    }),
    handoffs: new ChartPanel({ name: 'handoffs', title: t('chart.handoffs'), extra: extra() }),
    satisfaction: new ChartPanel({ name: 'satisfaction', title: t('chart.satisfaction'), extra: extra() }),
  };
  const extraOf = (chart) => chart.el.querySelector('.panel-extra');

  const deadlines = extra();
  const panel = (name, title, ...body) =>
    h(
      'section',
      { class: ['panel', name !== 'deadlines' && 'wide'], dataset: { panel: name } },
      h('div', { class: 'panel-head' }, h('h2', {}, title)),
      body,
    );
  const unanswered = h('div');
  const hotspots = h('div');
  const clusters = h('div');
  const tablePanel = (name, body) =>
    panel(name, t(`${name}.title`), h('p', { class: 'hint' }, t(`${name}.lead`)), body);

  const el = h(
    'div',
    { class: 'chart-grid' },
    charts.channels.el,
    charts.demandTypes.el,
    charts.categories.el,
    charts.districts.el,
    charts.selfService.el,
    charts.handoffs.el,
    panel('deadlines', t('chart.deadlines'), deadlines),
    charts.satisfaction.el,
    tablePanel('unanswered', unanswered),
    tablePanel('hotspots', hotspots),
    tablePanel('clusters', clusters),
  );

  const drillHotspot = (spot) =>
    drill({
      kind: 'tickets',
      state: 'all',
      extra: { category: spot.categoryCode, district: spot.district || undefined },
      labels: [
        dimensionLabel('category', spot.categoryName || spot.categoryCode),
        spot.district ? dimensionLabel('district', spot.district) : null,
      ].filter(Boolean),
    });

  function render(data) {
    overview = data;
    const { granularity } = data.filters;
    charts.channels.show(channelsOption(data.volume, granularity));
    charts.demandTypes.show(demandTypesOption(data.volume, granularity));
    charts.categories.show(categoriesOption(data.volume));
    charts.districts.show(districtsOption(data.volume));
    charts.selfService.show(selfServiceOption(data.selfService, granularity));
    replace(extraOf(charts.selfService), selfServiceFigures(data, drill));
    charts.handoffs.show(handoffReasonsOption(data.handoffs));
    replace(extraOf(charts.handoffs), handoffFigures(data.handoffs));
    charts.satisfaction.show(satisfactionOption(data.satisfaction));
    replace(extraOf(charts.satisfaction), satisfactionFigures(data.satisfaction));
    replace(deadlines, deadlinesFigures(data.deadlines, drill));
    replace(unanswered, unansweredTable(data.unanswered));
    replace(hotspots, hotspotsTable(data.hotspots, drillHotspot));
    replace(clusters, clustersTable(data.clusters));
  }

  return {
    el,
    render,
    dispose: () => Object.values(charts).forEach((chart) => chart.dispose()),
  };
}
