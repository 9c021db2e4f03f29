// One eval run: its pass state, its suites' metrics and its failed cases to review. A reviewer records a verdict
// on each failure, adds a missed question to the expected article's variants (as a draft, which goes through
// review like any edit), and re-runs the failures against the live knowledge base once the fix is published.
import { h, field, replace } from '/common/dom.mjs';
import { api, ApiError, evalsApi, may } from './api.mjs';
import { ID_PATTERN } from './article-form.mjs';
import { passBadge, runHref } from './eval-runs.mjs';
import { describeError, formatDateTime, t } from './i18n.mjs';

const PAGE_SIZE = 50;
const VERDICTS = ['correct', 'wrong', 'expected_wrong'];

const articleHref = (id) => `#/articles/${encodeURIComponent(id)}`;

/** 0..1 metrics as percentages; those named …Ms are milliseconds. */
export function formatMetric(name, value) {
  if (typeof value !== 'number' || Number.isNaN(value)) return '—';
  if (/Ms$/.test(name)) return `${Math.round(value)} ms`;
  return `${(value * 100).toFixed(1)}%`;
}

export async function renderEvalRun(view, ctx, id) {
  replace(view, h('p', { class: 'loading' }, t('common.loading')));
  let run;
  try {
    run = await evalsApi.run(id);
  } catch (e) {
    replace(view, backLink(), h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
    return;
  }
  const canAct = may(ctx.session, 'edit');
  const kindOf = new Map(run.suites.map((s) => [s.suite, s.kind]));
  const message = h('div', { class: 'form-message', role: 'alert' });

  const rerun = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      onclick: async () => {
        replace(message);
        rerun.disabled = true;
        try {
          const next = await evalsApi.rerun(id);
          const cases = next.suites.reduce((sum, s) => sum + s.cases, 0);
          const failing = next.suites.reduce((sum, s) => sum + s.failures, 0);
          ctx.toast(t('evals.rerunDone', { cases, failing }));
          ctx.navigate(runHref(next.id));
        } catch (e) {
          replace(
            message,
            h('p', {}, e instanceof ApiError && e.status === 409 ? t('evals.nothingToRerun') : describeError(e)),
          );
          rerun.disabled = false;
        }
      },
    },
    t('evals.rerun'),
  );

  replace(
    view,
    backLink(),
    h(
      'div',
      { class: 'article-head eval-head' },
      h('h1', {}, t('evals.runTitle', { time: formatDateTime(run.startedAt) })),
      h(
        'p',
        { class: 'article-meta' },
        passBadge(run.passed),
        h('code', { class: 'run-id' }, run.id),
        run.knowledgeVersion ? h('span', {}, t('evals.knowledgeVersion'), h('code', {}, run.knowledgeVersion)) : null,
        run.embedder ? h('span', {}, t('evals.embedder', { embedder: run.embedder })) : null,
      ),
      h(
        'div',
        { class: 'buttons' },
        h(
          'a',
          { class: 'button secondary', href: evalsApi.reportUrl(id), target: '_blank', rel: 'noopener' },
          t('evals.report'),
        ),
        canAct ? rerun : null,
      ),
      message,
    ),
    suitesSection(run),
    thresholdsSection(run),
    failuresSection(ctx, run, { id, kindOf, canAct }),
  );
}

const backLink = () => h('a', { class: 'back', href: '#/evals' }, '← ', t('evals.back'));

function suitesSection(run) {
  return h(
    'section',
    { class: 'eval-section', 'aria-labelledby': 'eval-suites-title' },
    h('h2', { id: 'eval-suites-title' }, t('evals.suites')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'eval-suites' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['suite', 'cases', 'failures', 'metrics', 'latency'].map((c) =>
              h('th', { scope: 'col', class: `col-${c}` }, t(`evals.suiteCol.${c}`)),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          run.suites.map((s) =>
            h(
              'tr',
              { dataset: { suite: s.suite } },
              h('td', { class: 'col-suite' }, h('strong', {}, s.suite), h('span', { class: 'by' }, kindName(s.kind))),
              h('td', { class: 'col-cases' }, String(s.cases)),
              h('td', { class: ['col-failures', s.failures > 0 && 'has-failures'] }, String(s.failures)),
              h(
                'td',
                { class: 'col-metrics' },
                h(
                  'ul',
                  { class: 'metrics' },
                  Object.entries(s.metrics ?? {}).map(([name, value]) =>
                    h(
                      'li',
                      { title: name },
                      h('span', { class: 'metric-name' }, metricName(name)),
                      h('strong', {}, formatMetric(name, value)),
                    ),
                  ),
                ),
              ),
              h('td', { class: 'col-latency' }, s.latencyMs ? `p95 ${Math.round(s.latencyMs.p95)} ms` : '—'),
            ),
          ),
        ),
      ),
    ),
  );
}

function thresholdsSection(run) {
  const failed = (run.thresholds ?? []).filter((th) => !th.passed);
  if (failed.length === 0) return null;
  return h(
    'section',
    { class: 'eval-section', 'aria-labelledby': 'eval-thresholds-title' },
    h('h2', { id: 'eval-thresholds-title' }, t('evals.thresholdsFailed')),
    h(
      'ul',
      { class: 'thresholds' },
      failed.map((th) =>
        h(
          'li',
          {},
          h('strong', {}, `${th.suite} · ${metricName(th.metric)}`),
          ' ',
          t('evals.thresholdActual', { actual: formatMetric(th.metric, th.actual) }),
          th.min !== undefined && th.min !== null
            ? t('evals.thresholdMin', { min: formatMetric(th.metric, th.min) })
            : '',
          th.max !== undefined && th.max !== null
            ? t('evals.thresholdMax', { max: formatMetric(th.metric, th.max) })
            : '',
        ),
      ),
    ),
  );
}

function failuresSection(ctx, run, { id, kindOf, canAct }) {
  const failing = run.suites.filter((s) => s.failures > 0);
  const suite = h(
    'select',
    { name: 'suite' },
    h('option', { value: '' }, t('evals.allSuites')),
    failing.map((s) => h('option', { value: s.suite }, `${s.suite}（${s.failures}）`)),
  );
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const list = h('div', { class: 'eval-failures' });
  const rows = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary small', hidden: true }, t('evals.more'));
  let offset = 0;
  let shown = 0;

  const total = () =>
    run.suites.filter((s) => !suite.value || s.suite === suite.value).reduce((sum, s) => sum + s.failures, 0);

  async function load({ reset = false } = {}) {
    if (reset) {
      offset = 0;
      shown = 0;
      rows.replaceChildren();
      replace(list, h('p', { class: 'loading' }, t('common.loading')));
    }
    more.disabled = true;
    list.setAttribute('aria-busy', 'true');
    try {
      const { items } = await evalsApi.failures(id, { suite: suite.value, limit: PAGE_SIZE, offset });
      offset += items.length;
      shown += items.length;
      for (const item of items) rows.append(failureRow(ctx, item, { id, kind: kindOf.get(item.suite), canAct }));
      more.hidden = items.length < PAGE_SIZE;
      if (shown === 0) {
        replace(list, h('p', { class: 'empty eval-no-failures' }, t('evals.noFailures')));
        replace(summary);
      } else {
        if (!list.contains(rows)) replace(list, failuresTable(rows), h('div', { class: 'more-row' }, more));
        replace(summary, t('evals.failuresShown', { shown, total: Math.max(total(), shown) }));
      }
    } catch (e) {
      replace(list, h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
    } finally {
      more.disabled = false;
      list.removeAttribute('aria-busy');
    }
  }
  more.addEventListener('click', () => load());
  suite.addEventListener('change', () => load({ reset: true }));
  load({ reset: true });

  return h(
    'section',
    { class: 'eval-section', 'aria-labelledby': 'eval-failures-title' },
    h(
      'div',
      { class: 'section-head' },
      h('h2', { id: 'eval-failures-title' }, t('evals.failures')),
      failing.length > 1 ? h('div', { class: 'suite-filter' }, field(t('evals.suiteFilter'), suite)) : null,
    ),
    summary,
    list,
  );
}

function failuresTable(rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'eval-cases' },
      h('caption', { class: 'visually-hidden' }, t('evals.failures')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['question', 'expected', 'score', 'actions'].map((c) =>
            h('th', { scope: 'col', class: `col-${c}` }, t(`evals.caseCol.${c}`)),
          ),
        ),
      ),
      rows,
    ),
  );
}

function failureRow(ctx, item, { id, kind, canAct }) {
  const retrieval = kind === 'retrieval';
  const expectedArticle =
    retrieval && item.expected !== 'none' && ID_PATTERN.test(item.expected) ? item.expected : null;
  const message = h('p', { class: 'row-message', role: 'alert' });
  const verdictBadge = h('span', { class: 'verdict-badge' });
  const verdictButtons = VERDICTS.map((verdict) =>
    h(
      'button',
      {
        type: 'button',
        class: ['secondary', 'small', `verdict-${verdict}`],
        'aria-pressed': 'false',
        dataset: { verdict },
        onclick: async () => {
          replace(message);
          verdictButtons.forEach((b) => (b.disabled = true));
          try {
            const saved = await evalsApi.verdict(id, item.suite, item.caseId, verdict);
            showVerdict(saved?.verdict ?? verdict);
          } catch (e) {
            replace(message, describeError(e));
          } finally {
            verdictButtons.forEach((b) => (b.disabled = false));
          }
        },
      },
      t(`evals.verdict.${verdict}`),
    ),
  );
  function showVerdict(verdict) {
    for (const b of verdictButtons) b.setAttribute('aria-pressed', String(b.dataset.verdict === verdict));
    verdictBadge.className = verdict ? `badge verdict-badge verdict-${verdict}` : 'verdict-badge';
    verdictBadge.textContent = verdict ? t(`evals.verdictState.${verdict}`) : '';
  }
  showVerdict(item.verdict ?? null);

  const addVariant = expectedArticle
    ? h(
        'button',
        {
          type: 'button',
          class: 'secondary small add-variant',
          onclick: async () => {
            replace(message);
            addVariant.disabled = true;
            try {
              const added = await addQuestionAsVariant(expectedArticle, item.question);
              ctx.toast(added ? t('evals.variantAdded') : t('evals.variantExists'));
            } catch (e) {
              replace(
                message,
                e instanceof ApiError && e.status === 409 ? t('evals.variantConflict') : describeError(e),
              );
            } finally {
              addVariant.disabled = false;
            }
          },
        },
        t('evals.addVariant'),
      )
    : null;

  return h(
    'tr',
    { class: 'eval-failure', dataset: { suite: item.suite, caseId: item.caseId } },
    h(
      'td',
      { class: 'col-question' },
      h('p', { class: 'eval-question' }, item.question),
      h('span', { class: 'by' }, [item.suite, item.category].filter(Boolean).join(' · ')),
    ),
    h(
      'td',
      { class: 'col-expected' },
      h(
        'dl',
        { class: 'expected-got' },
        h('dt', {}, t('evals.expected')),
        h(
          'dd',
          { class: 'eval-expected' },
          expectedArticle
            ? h('a', { href: articleHref(expectedArticle) }, expectedArticle)
            : retrieval && item.expected === 'none'
              ? t('evals.noAnswer')
              : item.expected,
        ),
        h('dt', {}, t('evals.got')),
        h('dd', { class: 'eval-got' }, retrieval ? gotOfRetrieval(item.got) : item.got),
      ),
    ),
    h(
      'td',
      { class: 'col-score' },
      h('span', { class: 'eval-score' }, typeof item.score === 'number' ? item.score.toFixed(3) : '—'),
      retrieval ? topHits(item.detail?.top, item.expected) : null,
    ),
    h(
      'td',
      { class: 'col-actions' },
      verdictBadge,
      canAct
        ? h('div', { class: 'verdicts', role: 'group', 'aria-label': t('evals.verdictGroup') }, verdictButtons)
        : null,
      canAct && expectedArticle
        ? h(
            'div',
            { class: 'buttons fix' },
            addVariant,
            h('a', { class: 'button secondary small', href: articleHref(expectedArticle) }, t('evals.editArticle')),
          )
        : null,
      message,
    ),
  );
}

/** `none (<id>)`: the assistant would decline, nearest article <id>; otherwise the article it would answer. */
function gotOfRetrieval(got) {
  const declined = /^none \((.*)\)$/.exec(got ?? '');
  if (declined)
    return [
      t('evals.declined'),
      declined[1] && declined[1] !== '-'
        ? h('span', { class: 'by' }, t('evals.nearest'), h('a', { href: articleHref(declined[1]) }, declined[1]))
        : null,
    ];
  if (got && ID_PATTERN.test(got)) return h('a', { href: articleHref(got) }, got);
  return got ?? '—';
}

function topHits(top, expected) {
  if (!Array.isArray(top) || top.length === 0) return null;
  return h(
    'details',
    { class: 'top-hits' },
    h('summary', {}, t('evals.top', { count: top.length })),
    h(
      'ol',
      {},
      top.map((hit) =>
        h(
          'li',
          { class: hit.id === expected ? 'expected' : null },
          h('code', {}, hit.id),
          ' ',
          typeof hit.confidence === 'number' ? hit.confidence.toFixed(3) : '',
        ),
      ),
    ),
  );
}

/**
 * Appends `question` to the article's variants and saves that as a draft, built the way the article page
 * saves one (its content fields, with the latest revision as the base). False when it is already there.
 */
async function addQuestionAsVariant(articleId, question) {
  const [detail, revisions] = await Promise.all([api.get(articleId), api.revisions(articleId)]);
  const current = detail.pending?.content ?? detail.record;
  const text = question.trim();
  const variants = current.variants ?? [];
  if (current.question?.trim() === text || variants.some((v) => v.trim() === text)) return false;
  // A record is its id and its content; a pending revision's content has no id.
  const { id: _id, ...content } = current;
  content.variants = [...variants, text];
  content.expiresAt ??= null;
  content.source ??= null;
  await api.saveDraft(articleId, content, revisions[0]?.revision ?? 0);
  return true;
}

const metricName = (name) => t(`metric.${name}`, {}, name);
const kindName = (kind) => t(`evals.kind.${kind}`, {}, kind);
