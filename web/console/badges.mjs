// Status badges: the article's status, and a second badge when a published article has an open revision.
import { h } from '/common/dom.mjs';
import { t } from './i18n.mjs';

export function statusBadges(status, pending) {
  return h(
    'span',
    { class: 'badges' },
    h('span', { class: `badge status-${status}` }, t(`status.${status}`)),
    // A never-published article's open revision is the article itself: its status says it all.
    pending && status === 'published'
      ? h(
          'span',
          {
            class: 'badge pending',
            title: t('badge.pendingDetail', { revision: pending.revision, status: t(`revision.${pending.status}`) }),
          },
          t('badge.pending'),
        )
      : null,
  );
}

export const revisionBadge = (status) => h('span', { class: `badge revision-${status}` }, t(`revision.${status}`));
