// "Try a question": what the assistant's search finds for a citizen's wording, with scores.
import { h, field, replace } from '/common/dom.mjs';
import { api } from './api.mjs';
import { knownRegions } from './article-list.mjs';
import { describeError, t } from './i18n.mjs';

let last = { q: '', region: '' };

export function renderTryQuestion(view) {
  const q = h('textarea', { name: 'q', rows: 2, maxlength: 500, required: true, placeholder: t('try.placeholder') });
  const region = h('input', { name: 'region', maxlength: 50, list: 'try-regions', placeholder: t('filter.anyRegion') });
  const results = h('section', { class: 'hits', 'aria-live': 'polite', 'aria-label': t('try.results') });
  q.value = last.q;
  region.value = last.region;

  const ask = async () => {
    last = { q: q.value.trim(), region: region.value.trim() };
    if (!last.q) return replace(results, h('p', { class: 'form-error', role: 'alert' }, t('try.empty')));
    results.setAttribute('aria-busy', 'true');
    try {
      const { hits, ms } = await api.search(last.q, last.region);
      replace(
        results,
        h('p', { class: 'summary' }, t('try.summary', { count: hits.length, ms })),
        hits.length === 0
          ? h('p', { class: 'empty' }, t('try.none'))
          : h('ol', { class: 'hit-list' }, hits.map(hitItem)),
      );
    } catch (e) {
      replace(results, h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
    } finally {
      results.removeAttribute('aria-busy');
    }
  };

  replace(
    view,
    h('div', { class: 'page-head' }, h('h1', {}, t('nav.try'))),
    h('p', { class: 'lead' }, t('try.lead')),
    h(
      'form',
      {
        class: 'try-form',
        onsubmit: (event) => {
          event.preventDefault();
          ask();
        },
      },
      field(t('try.question'), q, { wide: true }),
      field(t('filter.region'), region),
      h(
        'datalist',
        { id: 'try-regions' },
        [...knownRegions].map((r) => h('option', { value: r })),
      ),
      h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'primary' }, t('try.submit'))),
    ),
    results,
  );
  // Enter asks; Shift+Enter makes a new line.
  q.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask();
    }
  });
  q.focus();
  if (last.q) ask();
}

function hitItem(hit, index) {
  const similarity = Math.max(0, Math.min(1, hit.similarity));
  const href = `#/articles/${encodeURIComponent(hit.articleId)}`;
  return h(
    'li',
    { class: 'hit', dataset: { id: hit.articleId } },
    h('span', { class: 'rank', 'aria-hidden': 'true' }, String(index + 1)),
    h(
      'div',
      { class: 'hit-body' },
      h('a', { class: 'hit-title', href }, hit.title),
      h(
        'p',
        { class: 'hit-scores' },
        h('span', { class: 'score' }, t('try.score'), ' ', h('strong', {}, hit.score.toFixed(4))),
        h(
          'span',
          { class: 'similarity' },
          h(
            'label',
            {},
            t('try.similarity'),
            ' ',
            h('meter', { min: 0, max: 1, value: similarity }),
            ' ',
            `${(similarity * 100).toFixed(1)}%`,
          ),
        ),
      ),
      h(
        'p',
        { class: 'matched' },
        h('span', { class: 'kind' }, t(`try.kind.${hit.matched.kind}`, {}, hit.matched.kind)),
        hit.matched.text,
      ),
      h('p', { class: 'short' }, hit.answerShort),
      h('p', { class: 'dept' }, hit.department, ' · ', h('code', {}, hit.articleId)),
    ),
  );
}
