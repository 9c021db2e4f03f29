// One article: its content (edit, preview, the review workflow), its revisions and its audit trail.
// A published article keeps answering while its next revision is drafted and reviewed: the form edits
// that open revision (`pending`) when there is one, the live content otherwise.
import { h, replace } from '/common/dom.mjs';
import { api, ApiError, may } from './api.mjs';
import { articleForm, newArticleDefaults } from './article-form.mjs';
import { renderAudit, renderRevisions } from './article-history.mjs';
import { statusBadges } from './badges.mjs';
import { confirmDialog } from './dialog.mjs';
import { describeError, formatDateTime, getLocale, t } from './i18n.mjs';

export async function renderArticlePage(view, ctx, id, tab) {
  replace(view, h('p', { class: 'loading' }, t('common.loading')));
  let detail, revisions;
  try {
    [detail, revisions] = await Promise.all([api.get(id), api.revisions(id)]);
  } catch (e) {
    replace(view, backLink(), h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
    return;
  }
  const reload = () => renderArticlePage(view, ctx, id, tab);
  const { record, status, pending } = detail;
  const content = pending?.content ?? record;
  const base = `#/articles/${encodeURIComponent(id)}`;
  const tabs = [
    ['content', base, t('tab.content')],
    ['revisions', `${base}/revisions`, t('tab.revisions', { count: revisions.length })],
    ['audit', `${base}/audit`, t('tab.audit')],
  ];
  const body = h('div', { class: 'tab-body' });
  replace(
    view,
    backLink(),
    h(
      'div',
      { class: 'article-head' },
      h('h1', { class: 'article-title' }, content.title),
      h(
        'p',
        { class: 'article-meta' },
        h('code', {}, id),
        statusBadges(status, pending),
        h('span', {}, ctx.categoryName(content.category)),
        h(
          'span',
          {},
          detail.version
            ? t('article.published', { version: detail.version, at: formatDateTime(detail.publishedAt) })
            : t('article.neverPublished'),
        ),
      ),
      pendingNotice(detail),
    ),
    h(
      'nav',
      { class: 'tabs', 'aria-label': t('tab.label') },
      tabs.map(([key, href, label]) => h('a', { href, 'aria-current': key === tab ? 'page' : null }, label)),
    ),
    body,
  );
  if (tab === 'revisions') return renderRevisions(body, id, revisions);
  if (tab === 'audit') return renderAudit(body, id);
  renderContent(body, ctx, { id, detail, content, latest: revisions[0]?.revision ?? 0, reload });
}

const backLink = () => h('a', { class: 'back', href: '#/' }, '← ', t('article.back'));

function pendingNotice({ status, version, pending }) {
  if (status === 'retired') return h('p', { class: 'notice muted' }, t('article.retiredNotice'));
  if (!pending) return null;
  const lines = [
    pending.status === 'in_review'
      ? t('article.inReviewNotice', { revision: pending.revision, by: pending.submittedBy ?? '—' })
      : t('article.draftNotice', { revision: pending.revision, author: pending.author }),
  ];
  if (version) lines.push(t('article.liveNotice', { version }));
  return h(
    'div',
    { class: 'notice' },
    // Chinese sentences need no space between them.
    h('p', {}, lines.join(getLocale() === 'en' ? ' ' : '')),
    pending.status === 'draft' && pending.reviewNote
      ? h(
          'p',
          { class: 'review-note' },
          t('article.rejectedNote', { by: pending.reviewedBy ?? '—' }),
          h('q', {}, pending.reviewNote),
        )
      : null,
  );
}

function renderContent(body, ctx, { id, detail, content, latest, reload }) {
  const { status, pending } = detail;
  const canEdit = may(ctx.session, 'edit') && status !== 'retired';
  const form = articleForm(ctx);
  form.fill(content);
  form.setReadOnly(!canEdit);
  ctx.leaveGuard = () => canEdit && form.isDirty();

  const message = h('div', { class: 'form-message', role: 'alert' });
  const busy = (on) => body.querySelectorAll('.actions button').forEach((b) => (b.disabled = on));
  const fail = (e, { conflict = false } = {}) => {
    if (e instanceof ApiError && e.status === 400) form.showServerError(e.message);
    replace(
      message,
      h('p', {}, conflict && e.status === 409 ? t('article.conflict') : describeError(e)),
      conflict && e.status === 409
        ? h(
            'button',
            { type: 'button', class: 'secondary small', onclick: () => ((ctx.leaveGuard = null), reload()) },
            t('article.reload'),
          )
        : null,
    );
  };
  const run = async (work, done) => {
    replace(message);
    busy(true);
    try {
      await work();
      ctx.leaveGuard = null;
      ctx.toast(done);
      await reload();
    } catch (e) {
      fail(e, { conflict: work === save });
      busy(false);
    }
  };

  async function save() {
    if (!form.showErrors(form.validate())) throw new ApiError(0, 'E_CLIENT', t('form.fixErrors'));
    await api.saveDraft(id, form.read(), latest);
  }
  const transition = (action, options) => async () => {
    const answer = options ? await confirmDialog(options) : { note: '' };
    if (!answer) return;
    await run(() => api.transition(id, action, answer.note), t(`done.${action}`));
  };

  const buttons = [];
  if (canEdit)
    buttons.push(
      h('button', { type: 'button', class: 'primary', onclick: () => run(save, t('done.save')) }, t('action.save')),
    );
  if (canEdit && pending?.status !== 'in_review')
    buttons.push(
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () =>
            run(async () => {
              if (!pending && !form.isDirty()) throw new ApiError(0, 'E_CLIENT', t('article.nothingToSubmit'));
              if (form.isDirty()) await save();
              await api.transition(id, 'submit');
            }, t('done.submit')),
        },
        t('action.submit'),
      ),
    );
  if (may(ctx.session, 'review') && pending?.status === 'in_review') {
    buttons.push(
      h(
        'button',
        {
          type: 'button',
          class: 'primary approve',
          onclick: transition('approve', {
            title: t('action.approve'),
            message: t('confirm.approve', { revision: pending.revision }),
            note: 'optional',
            confirmLabel: t('action.approve'),
          }),
        },
        t('action.approve'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: transition('reject', {
            title: t('action.reject'),
            message: t('confirm.reject'),
            note: 'required',
            noteLabel: t('confirm.rejectReason'),
            confirmLabel: t('action.reject'),
          }),
        },
        t('action.reject'),
      ),
    );
  }
  if (canEdit && pending)
    buttons.push(
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: transition('withdraw', {
            title: t('action.withdraw'),
            message: t(detail.version ? 'confirm.withdrawPublished' : 'confirm.withdraw', {
              revision: pending.revision,
            }),
            confirmLabel: t('action.withdraw'),
          }),
        },
        t('action.withdraw'),
      ),
    );
  if (may(ctx.session, 'retire') && status !== 'retired')
    buttons.push(
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: transition('retire', {
            title: t('confirm.retireTitle', { title: content.title }),
            message: t('confirm.retire'),
            note: 'optional',
            danger: true,
            confirmLabel: t('action.retire'),
          }),
        },
        t('action.retire'),
      ),
    );

  replace(
    body,
    h(
      'div',
      { class: 'editor' },
      h(
        'form',
        {
          class: 'editor-main',
          novalidate: true,
          'aria-label': t('article.formLabel'),
          onsubmit: (e) => e.preventDefault(),
        },
        form.element,
        h('div', { class: 'actions sticky' }, message, h('div', { class: 'buttons' }, buttons)),
      ),
      h('aside', { class: 'editor-side' }, form.preview),
    ),
  );
}

/** A new article: id, category and the fields, created as a draft. */
export function renderNewArticle(view, ctx) {
  const form = articleForm(ctx, { isNew: true });
  form.fill(newArticleDefaults());
  ctx.leaveGuard = () => form.isDirty();
  const message = h('div', { class: 'form-message', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('new.create'));
  replace(
    view,
    backLink(),
    h('div', { class: 'page-head' }, h('h1', {}, t('new.title'))),
    h('p', { class: 'lead' }, t('new.lead')),
    h(
      'div',
      { class: 'editor' },
      h(
        'form',
        {
          class: 'editor-main',
          novalidate: true,
          'aria-label': t('new.title'),
          onsubmit: async (event) => {
            event.preventDefault();
            replace(message);
            if (!form.showErrors(form.validate())) {
              replace(message, h('p', {}, t('form.fixErrors')));
              return;
            }
            button.disabled = true;
            try {
              const record = form.read();
              await api.create(record);
              ctx.leaveGuard = null;
              ctx.toast(t('done.create'));
              ctx.navigate(`#/articles/${encodeURIComponent(record.id)}`);
            } catch (e) {
              if (e instanceof ApiError && e.status === 400) form.showServerError(e.message);
              if (e instanceof ApiError && e.status === 409) form.showErrors({ id: describeError(e) });
              replace(message, h('p', {}, describeError(e)));
              button.disabled = false;
            }
          },
        },
        form.element,
        h('div', { class: 'actions sticky' }, message, h('div', { class: 'buttons' }, button)),
      ),
      h('aside', { class: 'editor-side' }, form.preview),
    ),
  );
}
