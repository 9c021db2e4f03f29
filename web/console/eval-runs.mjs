// 评测: the stored eval runs (`npm run evals`, or a re-run of a run's failures from the console), newest first.
import { h, replace } from '/common/dom.mjs';
import { evalsApi } from './api.mjs';
import { describeError, formatDateTime, t } from './i18n.mjs';

const PAGE_SIZE = 20;

export const runHref = (id) => `#/evals/${encodeURIComponent(id)}`;

/** 通过 / 未通过: whether every threshold of the run held. */
export const passBadge = (passed) =>
  h('span', { class: ['badge', passed ? 'eval-pass' : 'eval-fail'] }, t(passed ? 'evals.passed' : 'evals.failed'));

export function renderEvalRuns(view, ctx) {
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const rows = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary small', hidden: true }, t('evals.more'));
  let offset = 0;

  const load = async () => {
    more.disabled = true;
    results.setAttribute('aria-busy', 'true');
    try {
      const { items } = await evalsApi.runs(PAGE_SIZE, offset);
      if (offset === 0 && items.length === 0) {
        replace(results, h('p', { class: 'empty' }, t('evals.noRuns')));
        return;
      }
      offset += items.length;
      for (const run of items) rows.append(runRow(run, ctx));
      more.hidden = items.length < PAGE_SIZE;
      if (!results.contains(rows)) replace(results, table(rows), h('div', { class: 'more-row' }, more));
    } catch (e) {
      replace(results, h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
    } finally {
      more.disabled = false;
      results.removeAttribute('aria-busy');
    }
  };
  more.addEventListener('click', load);

  replace(
    view,
    h('div', { class: 'page-head' }, h('h1', {}, t('nav.evals'))),
    h('p', { class: 'lead' }, t('evals.lead')),
    results,
  );
  load();
}

function table(rows) {
  const columns = ['startedAt', 'suites', 'result', 'knowledgeVersion', 'embedder'];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'eval-runs' },
      h('caption', { class: 'visually-hidden' }, t('evals.runsCaption')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col', class: `col-${c}` }, t(`evals.col.${c}`))),
        ),
      ),
      rows,
    ),
  );
}

function runRow(run, ctx) {
  const href = runHref(run.id);
  const suites = Array.isArray(run.suites) ? run.suites : [];
  return h(
    'tr',
    {
      class: 'clickable',
      dataset: { id: run.id },
      // The whole row opens the run; the link in it is what keyboards and screen readers use.
      onclick: (event) => {
        if (!event.target.closest('a')) ctx.navigate(href);
      },
    },
    h(
      'td',
      { class: 'col-startedAt' },
      h('a', { href, class: 'title-link' }, formatDateTime(run.startedAt)),
      h('code', { class: 'run-id' }, run.id),
    ),
    h(
      'td',
      { class: 'col-suites', title: suites.join('、') },
      t('evals.suiteCount', { count: suites.length }),
      h('span', { class: 'suite-names' }, suites.join('、')),
    ),
    h('td', { class: 'col-result' }, passBadge(run.passed)),
    h('td', { class: 'col-knowledgeVersion' }, h('code', {}, run.knowledgeVersion ?? '—')),
    h('td', { class: 'col-embedder' }, run.embedder ?? '—'),
  );
}
