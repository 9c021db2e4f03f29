/* global setTimeout, clearTimeout */
// 统计报表: the stored daily, weekly and monthly reports with their downloads, newest first, and 立即生成 for
// each kind (the last complete period); a report being generated is polled until it is ready or failed.
import { h, replace } from '/common/dom.mjs';
import { api, reportUrl } from './api.mjs';
import { describeError, formatDateTime, label, t } from './i18n.mjs';

export const REPORT_KINDS = ['daily', 'weekly', 'monthly'];
const PAGE_SIZE = 5;
const POLL_MS = 1500;
const POLL_FOR_MS = 120_000;
/** The order downloads are offered in; HTML opens in a new tab, the others download. */
const FORMATS = ['xlsx', 'pdf', 'csv', 'html'];

const periodText = (r) => (r.periodStart === r.periodEnd ? r.periodStart : `${r.periodStart} ~ ${r.periodEnd}`);

function downloads(report) {
  if (report.status !== 'ready') return report.status === 'failed' && report.error ? report.error : '—';
  const kind = t(`reports.${report.kind}`);
  return h(
    'span',
    { class: 'downloads' },
    FORMATS.filter((f) => report.formats.includes(f)).map((format) =>
      h(
        'a',
        {
          href: reportUrl(report.id, format),
          class: 'download',
          dataset: { format },
          'aria-label': t('format.download', { kind, period: periodText(report), format: t(`format.${format}`) }),
          ...(format === 'html' ? { target: '_blank', rel: 'noopener' } : { download: '' }),
        },
        t(`format.${format}`),
      ),
    ),
  );
}

function reportRow(report) {
  return h(
    'tr',
    { dataset: { reportId: report.id, status: report.status } },
    h('td', { class: 'period' }, periodText(report)),
    h('td', {}, h('span', { class: ['badge', `report-${report.status}`] }, label('reportStatus', report.status))),
    h('td', { class: 'when' }, formatDateTime(report.createdAt)),
    h('td', {}, downloads(report)),
  );
}

/** One kind's card: its list (more on demand) and its 立即生成 button. */
function kindCard(kind, { toast }) {
  const name = t(`reports.${kind}`);
  const rows = h('tbody');
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary small', hidden: true }, t('reports.more'));
  const generate = h('button', { type: 'button', class: 'primary small' }, t('reports.generate'));
  generate.setAttribute('aria-label', t('reports.generateFor', { kind: name }));
  let page = 0;
  let timer = null;

  async function load(reset) {
    if (reset) page = 0;
    more.disabled = true;
    try {
      const result = await api.reports(kind, page + 1, PAGE_SIZE);
      if (reset) replace(rows);
      for (const report of result.items) rows.append(reportRow(report));
      page = result.page;
      more.hidden = result.page * result.pageSize >= result.total;
      status.textContent = result.total === 0 ? t('reports.none') : '';
      return result.items;
    } catch (e) {
      status.textContent = describeError(e);
      return [];
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => load(false));

  /** Reloads the first page until report `id` is no longer pending. */
  function poll(id, until) {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const items = await load(true);
      const report = items.find((r) => r.id === id);
      if ((!report || report.status === 'pending') && Date.now() < until) poll(id, until);
    }, POLL_MS);
  }

  generate.addEventListener('click', async () => {
    generate.disabled = true;
    try {
      const { id } = await api.generateReport(kind);
      toast(t('reports.started', { kind: name }));
      await load(true);
      poll(id, Date.now() + POLL_FOR_MS);
    } catch (e) {
      toast(describeError(e));
    } finally {
      generate.disabled = false;
    }
  });

  const el = h(
    'section',
    { class: 'report-kind', dataset: { kind }, 'aria-labelledby': `reports-${kind}` },
    h('div', { class: 'panel-head' }, h('h3', { id: `reports-${kind}` }, name), generate),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'reports-table' },
        h('caption', { class: 'visually-hidden' }, name),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['period', 'status', 'createdAt', 'downloads'].map((c) => h('th', { scope: 'col' }, t(`reports.${c}`))),
          ),
        ),
        rows,
      ),
    ),
    status,
    h('div', { class: 'more-row' }, more),
  );
  return { el, load, stop: () => clearTimeout(timer) };
}

/** The section; `refresh()` reloads every kind's list, `stop()` ends any polling. */
export function renderReports({ toast }) {
  const cards = REPORT_KINDS.map((kind) => kindCard(kind, { toast }));
  const el = h(
    'section',
    { class: 'panel reports', 'aria-labelledby': 'reports-title' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'reports-title' }, t('reports.title'))),
    h('p', { class: 'hint' }, t('reports.lead')),
    h(
      'div',
      { class: 'report-kinds' },
      cards.map((c) => c.el),
    ),
  );
  return {
    el,
    refresh: () => Promise.all(cards.map((c) => c.load(true))),
    stop: () => cards.forEach((c) => c.stop()),
  };
}
