// The figures beside the charts: what the self-service chart does not show (answers suggested or missed,
// helpful or not, refusals), the queue wait, deadline compliance with its department table, satisfaction
// rates. A figure with records behind it opens them.
import { h } from '/common/dom.mjs';
import { formatCount, formatRate, formatSeconds, label, t } from './i18n.mjs';
import { departmentsTable } from './tables.mjs';

/**
 * Figures as a definition list: `[label, value, { drill, warn, name }]`; a figure with `drill` is a button
 * that opens its records.
 */
function figures(items) {
  return h(
    'dl',
    { class: 'figures' },
    items.map(([name, value, options = {}]) =>
      h(
        'div',
        { class: ['figure', options.warn && 'warn'], dataset: options.name ? { figure: options.name } : undefined },
        h('dt', {}, name),
        h(
          'dd',
          {},
          options.drill
            ? h(
                'button',
                { type: 'button', class: 'link-button', onclick: options.drill, title: t('kpi.drill', { name }) },
                value,
              )
            : value,
        ),
      ),
    ),
  );
}

/** `drill(spec)` opens records (analytics drill-down). */
export function selfServiceFigures({ selfService, totals }, drill) {
  const conversations = (metric, title) => () => drill({ kind: 'conversations', metric, title });
  return figures([
    [t('selfService.answered'), formatCount(selfService.answered)],
    [t('selfService.suggested'), formatCount(selfService.suggested)],
    [
      t('selfService.missed'),
      formatCount(selfService.missed),
      { name: 'missed', drill: conversations('missed', t('selfService.missed')) },
    ],
    [t('selfService.helpful'), formatCount(selfService.helpful)],
    [t('selfService.unhelpful'), formatCount(selfService.unhelpful)],
    [
      t('selfService.refused'),
      formatCount(totals.refused),
      { name: 'refused', drill: conversations('refused', t('selfService.refused')) },
    ],
  ]);
}

export function handoffFigures(handoffs) {
  const { wait } = handoffs;
  return h(
    'div',
    {},
    figures([
      [t('wait.answered'), formatCount(wait.answered)],
      [t('wait.abandoned'), formatCount(wait.abandoned), { warn: wait.abandoned > 0 }],
      [t('wait.waiting'), formatCount(wait.waiting)],
      [t('wait.p50'), formatSeconds(wait.p50Seconds)],
      [t('wait.p90'), formatSeconds(wait.p90Seconds)],
      [t('wait.max'), formatSeconds(wait.maxSeconds)],
    ]),
    handoffs.dispositions.length
      ? h(
          'p',
          { class: 'hint dispositions' },
          `${t('wait.dispositions')}：`,
          handoffs.dispositions
            .map(
              (d) =>
                `${d.disposition ? label('disposition', d.disposition) : t('disposition.')} ${formatCount(d.count)}`,
            )
            .join('、'),
        )
      : null,
  );
}

export function deadlinesFigures(deadlines, drill) {
  const tickets = (state, title) => () => drill({ kind: 'tickets', state, title });
  return h(
    'div',
    {},
    figures([
      [t('deadlines.resolved'), formatCount(deadlines.resolved)],
      [
        t('deadlines.onTime'),
        formatCount(deadlines.onTime),
        { name: 'onTime', drill: tickets('onTime', t('chart.deadlines')) },
      ],
      [
        t('deadlines.late'),
        formatCount(deadlines.late),
        { name: 'late', warn: deadlines.late > 0, drill: tickets('late', t('chart.deadlines')) },
      ],
      [t('deadlines.rate'), formatRate(deadlines.complianceRate)],
      [
        t('deadlines.overdue'),
        formatCount(deadlines.overdueOpen),
        { name: 'overdue', warn: deadlines.overdueOpen > 0, drill: tickets('overdue', t('chart.deadlines')) },
      ],
    ]),
    departmentsTable(deadlines),
  );
}

export function satisfactionFigures(satisfaction) {
  return figures([
    [t('chart.callback'), formatRate(satisfaction.callback.rate)],
    [t('chart.handback'), formatRate(satisfaction.handback.rate)],
  ]);
}
