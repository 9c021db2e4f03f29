// The dashboard's tables: deadlines by department, the questions the assistant could not answer (for the
// knowledge editors), hot spots and recurring problems. Citizen text only ever becomes text nodes.
import { h } from '/common/dom.mjs';
import { formatCount, formatDateTime, formatRate, t } from './i18n.mjs';

/**
 * A captioned table: `columns` are `{ label, class }`, `rows` arrays of cells (text or nodes), `rowProps(i)`
 * the attributes of row i (a click handler, a data attribute); "暂无数据" in one cell when there are no rows.
 */
export function dataTable({ caption, columns, rows, rowProps, name }) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { dataset: name ? { table: name } : undefined },
      caption ? h('caption', {}, caption) : null,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((cells, i) =>
              h(
                'tr',
                rowProps?.(i) ?? {},
                cells.map((cell, j) => h('td', { class: columns[j]?.class }, cell)),
              ),
            )
          : h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, t('status.empty'))),
      ),
    ),
  );
}

export function departmentsTable(deadlines) {
  return dataTable({
    name: 'departments',
    caption: t('deadlines.byDepartment'),
    columns: [
      { label: t('deadlines.department') },
      { label: t('deadlines.resolved'), class: 'num' },
      { label: t('deadlines.onTime'), class: 'num' },
      { label: t('deadlines.rate'), class: 'num' },
      { label: t('deadlines.overdue'), class: 'num' },
    ],
    rows: deadlines.byDepartment.map((d) => [
      d.department || '—',
      formatCount(d.resolved),
      formatCount(d.onTime),
      formatRate(d.resolved ? d.onTime / d.resolved : null),
      d.overdueOpen ? h('strong', { class: 'warn-text' }, formatCount(d.overdueOpen)) : '0',
    ]),
  });
}

export function unansweredTable(questions) {
  return dataTable({
    name: 'unanswered',
    columns: [
      { label: t('unanswered.text'), class: 'citizen-text' },
      { label: t('unanswered.count'), class: 'num' },
      { label: t('unanswered.missed'), class: 'num' },
      { label: t('unanswered.unhelpful'), class: 'num' },
      { label: t('unanswered.lastAt'), class: 'when' },
      { label: t('unanswered.action') },
    ],
    rows: questions.map((q) => [
      q.text,
      formatCount(q.count),
      formatCount(q.missed),
      formatCount(q.unhelpful),
      formatDateTime(q.lastAt),
      h('a', { href: '/console', class: 'small-link' }, t('unanswered.edit')),
    ]),
  });
}

/** `drill(hotspot)` opens the tickets of a row's category and district. */
export function hotspotsTable(hotspots, drill) {
  return dataTable({
    name: 'hotspots',
    columns: [
      { label: t('hotspots.category') },
      { label: t('hotspots.district') },
      { label: t('hotspots.current'), class: 'num' },
      { label: t('hotspots.previous'), class: 'num' },
      { label: t('hotspots.ratio'), class: 'num' },
    ],
    rows: hotspots.map((s) => [
      // The button is what keyboards use; the whole row is clickable for the mouse.
      h(
        'button',
        { type: 'button', class: 'link-button', title: t('kpi.drill', { name: s.categoryName }) },
        s.categoryName || s.categoryCode,
      ),
      s.district || t('chart.noDistrict'),
      formatCount(s.current),
      formatCount(s.previous),
      t('hotspots.ratioValue', { ratio: Number.isFinite(s.ratio) ? s.ratio.toFixed(1) : '—' }),
    ]),
    rowProps: (i) => ({ class: 'clickable', onclick: () => drill(hotspots[i]) }),
  });
}

export function clustersTable(clusters) {
  return dataTable({
    name: 'clusters',
    columns: [
      { label: t('clusters.label') },
      { label: t('clusters.count'), class: 'num' },
      { label: t('clusters.category') },
      { label: t('clusters.districts') },
      { label: t('clusters.sample'), class: 'citizen-text' },
    ],
    rows: clusters.map((c) => [
      h('strong', {}, c.label),
      formatCount(c.count),
      c.categoryName || c.categoryCode || '—',
      c.districts.map((d) => `${d.district || t('chart.noDistrict')} ${d.count}`).join('、') || '—',
      c.sample,
    ]),
  });
}
