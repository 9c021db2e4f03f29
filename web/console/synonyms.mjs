// The synonym dictionary: one group per line, terms separated by spaces or 、. The server validates.
import { h, field, replace } from '/common/dom.mjs';
import { api, may } from './api.mjs';
import { describeError, t } from './i18n.mjs';

const parse = (text) =>
  text
    .split('\n')
    .map((line) => line.split(/[\s、,，]+/).filter(Boolean))
    .filter((group) => group.length > 0);
const format = (groups) => groups.map((g) => g.join(' ')).join('\n');

export async function renderSynonyms(view, ctx) {
  const canEdit = may(ctx.session, 'edit');
  const text = h('textarea', { name: 'groups', rows: 20, spellcheck: 'false', readOnly: !canEdit, class: 'mono' });
  const status = h('p', { class: 'summary', 'aria-live': 'polite' });
  const message = h('div', { class: 'form-message', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('synonyms.save'));
  let clean = '';
  const count = () => (status.textContent = t('synonyms.count', { count: parse(text.value).length }));
  text.addEventListener('input', count);
  ctx.leaveGuard = () => canEdit && text.value !== clean;

  replace(
    view,
    h('div', { class: 'page-head' }, h('h1', {}, t('nav.synonyms'))),
    h('p', { class: 'lead' }, t('synonyms.lead')),
    h(
      'form',
      {
        class: 'synonyms',
        onsubmit: async (event) => {
          event.preventDefault();
          replace(message);
          button.disabled = true;
          try {
            const { groups } = await api.saveSynonyms(parse(text.value));
            text.value = clean = format(groups);
            count();
            ctx.toast(t('synonyms.saved'));
          } catch (e) {
            replace(message, h('p', {}, describeError(e)));
          } finally {
            button.disabled = false;
          }
        },
      },
      field(t('synonyms.label'), text, { wide: true, hint: t('synonyms.hint') }),
      status,
      message,
      canEdit ? h('div', { class: 'buttons' }, button) : h('p', { class: 'hint' }, t('synonyms.readOnly')),
    ),
  );
  try {
    const { groups } = await api.synonyms();
    text.value = clean = format(groups);
    count();
  } catch (e) {
    replace(message, h('p', {}, describeError(e)));
  }
}
