// An article's revisions (pick two to compare field by field) and its audit trail.
import { h, replace } from '/common/dom.mjs';
import { api } from './api.mjs';
import { revisionBadge } from './badges.mjs';
import { describeError, fieldName, formatDateTime, t } from './i18n.mjs';

export function renderRevisions(body, id, revisions) {
  const diffBox = h('section', { class: 'diff', 'aria-live': 'polite', 'aria-labelledby': 'diff-title' });
  const pick = { from: revisions[1]?.revision, to: revisions[0]?.revision };
  const radio = (which, revision) =>
    h('input', {
      type: 'radio',
      name: `diff-${which}`,
      value: String(revision),
      checked: pick[which] === revision,
      'aria-label': t(`revisions.${which}Label`, { revision }),
      onchange: () => (pick[which] = revision),
    });
  const who = (name, at) => (name ? h('span', {}, name, h('span', { class: 'by' }, formatDateTime(at))) : '—');

  const show = async () => {
    if (!pick.from || !pick.to || pick.from === pick.to) {
      replace(diffBox, h('p', { class: 'form-error', role: 'alert' }, t('revisions.pickTwo')));
      return;
    }
    const [from, to] = [Math.min(pick.from, pick.to), Math.max(pick.from, pick.to)];
    try {
      renderDiff(diffBox, from, to, await api.diff(id, from, to));
    } catch (e) {
      replace(diffBox, h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
    }
  };

  replace(
    body,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'revisions' },
        h('caption', { class: 'visually-hidden' }, t('tab.revisions', { count: revisions.length })),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['from', 'to', 'revision', 'status', 'author', 'submitter', 'reviewer', 'note', 'updated'].map((c) =>
              h('th', { scope: 'col' }, t(`revisions.col.${c}`)),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          revisions.map((r) =>
            h(
              'tr',
              { dataset: { revision: r.revision } },
              h('td', {}, radio('from', r.revision)),
              h('td', {}, radio('to', r.revision)),
              h('td', {}, `#${r.revision}`),
              h('td', {}, revisionBadge(r.status)),
              h('td', {}, who(r.author, r.createdAt)),
              h('td', {}, who(r.submittedBy, r.submittedAt)),
              h('td', {}, who(r.reviewedBy, r.reviewedAt)),
              h('td', { class: 'note' }, r.reviewNote || '—'),
              h('td', {}, formatDateTime(r.updatedAt)),
            ),
          ),
        ),
      ),
    ),
    h(
      'div',
      { class: 'buttons' },
      h(
        'button',
        { type: 'button', class: 'primary', disabled: revisions.length < 2, onclick: show },
        t('revisions.compare'),
      ),
    ),
    diffBox,
  );
  if (revisions.length >= 2) show();
  else replace(diffBox, h('p', { class: 'empty' }, t('revisions.onlyOne')));
}

function renderDiff(box, from, to, fields) {
  replace(
    box,
    h('h2', { id: 'diff-title' }, t('diff.title', { from, to })),
    h('p', { class: 'legend' }, h('ins', {}, t('diff.added')), ' ', h('del', {}, t('diff.removed'))),
    fields.length === 0
      ? h('p', { class: 'empty' }, t('diff.none'))
      : h(
          'dl',
          { class: 'diff-fields' },
          fields.map((f) => [
            h('dt', {}, fieldName(f.field)),
            h(
              'dd',
              {},
              f.parts.map((p) =>
                p.added ? h('ins', {}, p.value) : p.removed ? h('del', {}, p.value) : h('span', {}, p.value),
              ),
            ),
          ]),
        ),
  );
}

export async function renderAudit(body, id) {
  replace(body, h('p', { class: 'loading' }, t('common.loading')));
  let entries;
  try {
    entries = await api.audit(id);
  } catch (e) {
    replace(body, h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
    return;
  }
  if (entries.length === 0) return replace(body, h('p', { class: 'empty' }, t('audit.empty')));
  replace(
    body,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'audit' },
        h('caption', { class: 'visually-hidden' }, t('tab.audit')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['at', 'actor', 'action', 'detail'].map((c) => h('th', { scope: 'col' }, t(`audit.col.${c}`))),
          ),
        ),
        h(
          'tbody',
          {},
          entries.map((e) =>
            h(
              'tr',
              {},
              h('td', {}, formatDateTime(e.at)),
              h('td', {}, e.actor),
              h('td', {}, t(`audit.${e.action}`, {}, e.action)),
              h('td', { class: 'detail' }, detailText(e.detail)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** `{ revision: 2, note: null }` → "修订：#2"; unknown keys as they are. */
function detailText(detail) {
  if (!detail || typeof detail !== 'object') return '';
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(
      ([k, v]) =>
        `${t(`audit.key.${k}`, {}, k)}：${k === 'revision' ? `#${v}` : typeof v === 'object' ? JSON.stringify(v) : v}`,
    )
    .join('；');
}
