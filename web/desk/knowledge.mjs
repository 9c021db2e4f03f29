// Knowledge search for the agent: approved answers, each with a button that puts the answer into the
// reply box (the agent still reads and sends it).
import { h, field, replace, submitText } from '/common/dom.mjs';
import { api } from './api.mjs';
import { score } from './context-card.mjs';
import { describeError, t } from './i18n.mjs';

/** `insert(text)` fills the reply box; null hides the 插入 buttons (read-only conversations). */
export function renderKnowledgePanel({ insert }) {
  const input = h('input', { type: 'search', name: 'q', autocomplete: 'off', maxlength: 200 });
  const button = h('button', { type: 'submit', class: 'secondary' }, t('kb.search'));
  const results = h('div', { class: 'kb-results', 'aria-live': 'polite' });

  const hitItem = (hit) =>
    h(
      'li',
      { class: 'kb-hit' },
      h(
        'div',
        { class: 'kb-hit-head' },
        h('span', { class: 'hit-title' }, hit.title ?? hit.articleId ?? ''),
        h('span', { class: 'score', title: t('kb.score', { score: score(hit.score) }) }, score(hit.score)),
      ),
      hit.question ? h('div', { class: 'hit-question' }, hit.question) : null,
      hit.answer ? h('div', { class: 'kb-answer' }, hit.answer) : null,
      insert && hit.answer
        ? h(
            'button',
            { type: 'button', class: 'secondary small', onclick: () => insert(String(hit.answer)) },
            t('kb.insert'),
          )
        : null,
    );

  const form = h(
    'form',
    {
      class: 'kb-form',
      role: 'search',
      onsubmit: submitText(input, button, async (q) => {
        results.setAttribute('aria-busy', 'true');
        try {
          const data = await api.knowledge(q);
          const hits = data?.hits ?? [];
          replace(
            results,
            hits.length ? h('ol', { class: 'kb-list' }, hits.map(hitItem)) : h('p', { class: 'empty' }, t('kb.empty')),
          );
        } catch (e) {
          replace(results, h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
        } finally {
          results.removeAttribute('aria-busy');
        }
      }),
    },
    field(t('kb.query'), input, { after: button }),
  );

  return h('section', { class: 'panel kb-panel' }, h('h2', {}, t('kb.title')), form, results);
}
