// The key figures (关键指标) from the overview's totals: each card is a button that opens the records behind
// its number.
import { h, replace } from '/common/dom.mjs';
import { formatCount, formatRate, t } from './i18n.mjs';

/**
 * The cards in order: their key (`data-kpi`), value, the line under it, and the drill-down they open
 * (`conversations` with a metric, `tickets` with a state).
 */
function cards(totals, deadlines) {
  return [
    {
      key: 'conversations',
      value: formatCount(totals.conversations),
      sub: t('kpi.conversations.sub', { n: formatCount(totals.citizenMessages) }),
      drill: { kind: 'conversations', metric: 'all' },
    },
    {
      key: 'tickets',
      value: formatCount(totals.tickets),
      sub: t('kpi.tickets.sub'),
      drill: { kind: 'tickets', state: 'all' },
    },
    {
      key: 'selfService',
      value: formatRate(totals.selfServiceRate),
      sub: t('kpi.selfService.sub', { n: formatCount(totals.selfServed) }),
      drill: { kind: 'conversations', metric: 'selfServed' },
    },
    {
      key: 'handoff',
      value: formatRate(totals.handoffRate),
      sub: t('kpi.handoff.sub', { n: formatCount(totals.handoffs) }),
      drill: { kind: 'conversations', metric: 'handoff' },
    },
    {
      key: 'compliance',
      value: formatRate(totals.complianceRate),
      sub: t('kpi.compliance.sub', { resolved: formatCount(deadlines.resolved), late: formatCount(deadlines.late) }),
      // The tickets that pull the rate down.
      drill: { kind: 'tickets', state: 'late' },
    },
    {
      key: 'overdue',
      value: formatCount(totals.overdueOpen),
      sub: t('kpi.overdue.sub'),
      warn: totals.overdueOpen > 0,
      drill: { kind: 'tickets', state: 'overdue' },
    },
    {
      key: 'satisfaction',
      value: formatRate(totals.satisfactionRate),
      sub: t('kpi.satisfaction.sub', { n: formatCount(totals.satisfactionResponses) }),
      drill: { kind: 'tickets', state: 'dissatisfied' },
    },
    {
      key: 'emergency',
      value: formatCount(totals.emergencies),
      sub: t('kpi.emergency.sub'),
      warn: totals.emergencies > 0,
      drill: { kind: 'conversations', metric: 'emergency' },
    },
  ];
}

/** The cards section; `update(overview)` fills it, `drill(spec)` opens a card's records. */
export function renderKpis({ drill }) {
  const el = h('section', { class: 'kpis', 'aria-label': t('kpi.label') });

  function placeholder() {
    replace(
      el,
      ['conversations', 'tickets', 'selfService', 'handoff', 'compliance', 'overdue', 'satisfaction', 'emergency'].map(
        (key) =>
          h(
            'div',
            { class: 'kpi', dataset: { kpi: key } },
            h('span', { class: 'kpi-label' }, t(`kpi.${key}`)),
            h('span', { class: 'kpi-value' }, '—'),
          ),
      ),
    );
  }

  function update({ totals, deadlines }) {
    replace(
      el,
      cards(totals, deadlines).map((card) => {
        const name = t(`kpi.${card.key}`);
        return h(
          'button',
          {
            type: 'button',
            class: ['kpi', card.warn && 'warn'],
            dataset: { kpi: card.key },
            title: t('kpi.drill', { name }),
            onclick: () => drill({ ...card.drill, title: name }),
          },
          h('span', { class: 'kpi-label' }, name),
          h('span', { class: 'kpi-value' }, card.value),
          h('span', { class: 'kpi-sub' }, card.sub),
        );
      }),
    );
  }

  placeholder();
  return { el, update };
}
