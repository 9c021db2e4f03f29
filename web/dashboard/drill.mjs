/* global document */
// The drill-down panel (明细): the conversations or tickets behind a number, with the filters of the page,
// the clicked dimension and period on top, a page at a time. Citizen text is shown as text, never markup.
import { h, replace } from '/common/dom.mjs';
import { api } from './api.mjs';
import { describeError, formatCount, formatDateTime, label, t } from './i18n.mjs';
import { dataTable } from './tables.mjs';

const PAGE_SIZE = 20;

const badge = (kind, text) => h('span', { class: ['badge', `outcome-${kind}`] }, text);

function conversationColumns() {
  return [
    { label: t('conv.startedAt'), class: 'when' },
    { label: t('conv.channel') },
    { label: t('conv.firstText'), class: 'citizen-text' },
    { label: t('conv.messages'), class: 'num' },
    { label: t('conv.category') },
    { label: t('conv.outcome') },
  ];
}

function conversationCells(row, names) {
  return [
    formatDateTime(row.startedAt),
    names.channel(row.channel),
    row.firstText ?? '—',
    formatCount(row.citizenMessages),
    row.categoryName ?? row.categoryCode ?? '—',
    h(
      'span',
      { class: 'badges' },
      row.selfServed ? badge('selfServed', t('outcome.selfServed')) : null,
      row.handoff
        ? badge(
            'handoff',
            `${t('outcome.handoff')}${row.handoffReason ? ` · ${label('reason', row.handoffReason)}` : ''}`,
          )
        : null,
      row.tickets > 0 ? badge('ticket', t('outcome.ticket')) : null,
      row.missed > 0 ? badge('missed', t('outcome.missed')) : null,
      row.emergency ? badge('emergency', `${t('outcome.emergency')} · ${label('emergency', row.emergency)}`) : null,
    ),
  ];
}

function ticketColumns() {
  return [
    { label: t('ticket.number'), class: 'mono' },
    { label: t('ticket.registeredAt'), class: 'when' },
    { label: t('ticket.demandType') },
    { label: t('ticket.category') },
    { label: t('ticket.district') },
    { label: t('ticket.department') },
    { label: t('ticket.status') },
    { label: t('ticket.deadlineAt'), class: 'when' },
    { label: t('ticket.overdue'), class: 'num' },
    { label: t('ticket.satisfaction') },
    { label: t('ticket.description'), class: 'citizen-text' },
    { label: t('ticket.phone'), class: 'mono' },
  ];
}

function ticketCells(row, names) {
  return [
    row.number,
    formatDateTime(row.registeredAt),
    names.demandType(row.demandType),
    row.categoryName ?? row.categoryCode ?? '—',
    row.district || '—',
    row.department || '—',
    label('ticketStatus', row.status),
    formatDateTime(row.deadlineAt),
    row.overdueDays > 0 ? h('strong', { class: 'warn-text' }, t('ticket.overdueDays', { n: row.overdueDays })) : '—',
    row.satisfaction ? label('satisfactionScore', row.satisfaction) : '—',
    row.description,
    row.phone ?? '—',
  ];
}

/**
 * The panel, added to the page once. `names.channel(key)` and `names.demandType(key)` give display names.
 * `open(spec, filters)`: `spec` is `{ kind: 'conversations', metric }` or `{ kind: 'tickets', state }` with
 * `title`, `extra` (channel, demandType, category or district on top of `filters`), `period` and `labels`
 * (what the extra filters and period are, in words).
 */
export function createDrill({ names }) {
  const title = h('h2', { id: 'drill-title' });
  const subtitle = h('p', { class: 'drill-filters' });
  const status = h('p', { class: 'drill-status', 'aria-live': 'polite' });
  const body = h('div', { class: 'drill-body' });
  const prev = h('button', { type: 'button', class: 'secondary small' }, t('drill.prev'));
  const next = h('button', { type: 'button', class: 'secondary small' }, t('drill.next'));
  const pageInfo = h('span', { class: 'muted' });
  const pager = h('div', { class: 'pager' }, prev, pageInfo, next);
  const dialog = h(
    'dialog',
    { class: 'drill', 'aria-labelledby': 'drill-title' },
    h(
      'div',
      { class: 'drill-head' },
      h('div', {}, title, subtitle),
      h('button', { type: 'button', class: 'secondary small', onclick: () => dialog.close() }, t('drill.close')),
    ),
    status,
    body,
    pager,
  );
  // A click on the backdrop (the dialog element itself, outside its content) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  document.body.append(dialog);

  let current = null;
  let seq = 0;

  async function load(page) {
    const { spec, filters } = current;
    const mine = ++seq;
    const params = {
      ...filters,
      ...spec.extra,
      ...(spec.kind === 'tickets' ? { state: spec.state } : { metric: spec.metric }),
      period: spec.period,
      page,
      pageSize: PAGE_SIZE,
    };
    dialog.setAttribute('aria-busy', 'true');
    status.className = 'drill-status';
    status.textContent = t('drill.loading');
    prev.disabled = true;
    next.disabled = true;
    try {
      const result = await api.drill(spec.kind, params);
      if (mine !== seq) return;
      const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
      const tickets = spec.kind === 'tickets';
      replace(
        body,
        dataTable({
          name: `drill-${spec.kind}`,
          columns: tickets ? ticketColumns() : conversationColumns(),
          rows: result.items.map((row) => (tickets ? ticketCells(row, names) : conversationCells(row, names))),
        }),
      );
      status.textContent = t('drill.total', { total: formatCount(result.total) });
      pageInfo.textContent = t('drill.page', { page: result.page, pages });
      prev.disabled = result.page <= 1;
      next.disabled = result.page >= pages;
      prev.onclick = () => load(result.page - 1);
      next.onclick = () => load(result.page + 1);
    } catch (e) {
      if (mine !== seq) return;
      status.className = 'drill-status form-error';
      status.textContent = describeError(e);
      replace(
        body,
        h('button', { type: 'button', class: 'secondary small', onclick: () => load(page) }, t('status.retry')),
      );
    } finally {
      if (mine === seq) dialog.removeAttribute('aria-busy');
    }
  }

  function open(spec, filters) {
    current = { spec, filters };
    const what = spec.kind === 'tickets' ? t(`drill.state.${spec.state}`) : t(`drill.metric.${spec.metric}`);
    title.textContent = spec.title ? `${spec.title} · ${what}` : what;
    subtitle.textContent = (spec.labels ?? []).join('　');
    replace(body);
    pageInfo.textContent = '';
    if (!dialog.open) dialog.showModal();
    return load(1);
  }

  return { open };
}
