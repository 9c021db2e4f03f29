// The left column: handoffs offered to me and my conversations (我的会话), and the queues I serve (待接入).
// Offered handoffs carry 接入/拒绝, waiting ones 接入 (pull); each handoff's buttons appear once only.
import { h, replace } from '/common/dom.mjs';
import { priorityBadge } from './context-card.mjs';
import { formatDuration, label, t } from './i18n.mjs';

const nameOf = (person) => person?.displayName || person?.username || '';

/** Since when the handoff's clock runs: queued while waiting or offered, accepted once active. */
const since = (handoff) => (handoff.status === 'active' ? handoff.acceptedAt : handoff.queuedAt) ?? handoff.queuedAt;

function waitEl(handoff) {
  const from = since(handoff);
  const el = h('span', { class: 'wait', dataset: { since: from ?? '' } });
  updateWait(el);
  return el;
}

function updateWait(el) {
  const from = Date.parse(el.dataset.since ?? '');
  el.textContent = Number.isFinite(from) ? formatDuration(Date.now() - from) : '';
}

/**
 * The two lists. `actions`: `{ open(handoff), accept(handoff), decline(handoff) }`. Answers the column and
 * `update({ queue, mine })`, `select(id)` and `tick()` (refreshes the waiting times).
 */
export function renderLists(me, actions) {
  let selectedId = null;
  const mineList = h('ul', { class: 'handoff-list', 'aria-labelledby': 'mine-title' });
  const queueList = h('ul', { class: 'handoff-list', 'aria-labelledby': 'queue-title' });
  const mineCount = h('span', { class: 'count' });
  const queueCount = h('span', { class: 'count' });

  const offeredToMe = (handoff) => handoff.status === 'offered' && handoff.agent?.username === me.username;

  function statusLine(handoff, inQueue) {
    if (handoff.status === 'waiting')
      return Number.isFinite(handoff.position)
        ? t('list.position', { n: handoff.position })
        : label('status', 'waiting');
    if (handoff.status === 'offered')
      return offeredToMe(handoff) ? t('list.offeredMe') : t('list.offeredTo', { name: nameOf(handoff.agent) });
    if (handoff.consultant)
      return handoff.consultant.username === me.username
        ? `${t('list.consulting')} · ${nameOf(handoff.agent)}`
        : `${t('list.consulting')} · ${nameOf(handoff.consultant)}`;
    return inQueue ? label('status', handoff.status) : '';
  }

  function button(text, className, onclick) {
    return h(
      'button',
      {
        type: 'button',
        class: [className, 'small'],
        onclick: async (event) => {
          event.stopPropagation();
          const el = event.currentTarget;
          el.disabled = true;
          try {
            await onclick();
          } finally {
            el.disabled = false;
          }
        },
      },
      text,
    );
  }

  /** A handoff in 我的会话 (`inQueue` false) or 待接入 (true), with the buttons that list shows for it. */
  function item(handoff, inQueue) {
    const offer = offeredToMe(handoff) && !inQueue;
    let buttons = null;
    if (offer)
      buttons = [
        button(t('action.accept'), 'primary', () => actions.accept(handoff)),
        button(t('action.decline'), 'secondary', () => actions.decline(handoff)),
      ];
    else if (inQueue && handoff.status === 'waiting')
      buttons = [button(t('action.accept'), 'primary', () => actions.accept(handoff))];
    const citizen = handoff.citizen?.name || t('from.user');
    return h(
      'li',
      {
        class: [
          'handoff-item',
          `prio-${handoff.priority ?? 'normal'}`,
          offer && 'offer',
          handoff.id === selectedId && 'selected',
        ],
        dataset: { id: handoff.id },
      },
      offer ? h('p', { class: 'offer-flag' }, t('list.offer')) : null,
      h(
        'div',
        { class: 'item-head' },
        priorityBadge(handoff.priority),
        h('span', { class: 'channel' }, label('channel', handoff.channelId)),
        waitEl(handoff),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'item-open',
          'aria-current': handoff.id === selectedId ? 'true' : null,
          onclick: () => actions.open(handoff),
        },
        h('span', { class: 'citizen' }, citizen),
      ),
      handoff.preview ? h('p', { class: 'preview' }, handoff.preview) : null,
      h('p', { class: 'item-status' }, statusLine(handoff, inQueue)),
      buttons ? h('div', { class: 'item-actions' }, buttons) : null,
    );
  }

  let last = { queue: [], mine: [] };
  function update({ queue = last.queue, mine = last.mine } = {}) {
    last = { queue, mine };
    // Offers first, then the rest in the server's order.
    const ordered = [...mine.filter(offeredToMe), ...mine.filter((x) => !offeredToMe(x))];
    replace(
      mineList,
      ordered.length ? ordered.map((x) => item(x, false)) : h('li', { class: 'empty' }, t('list.empty')),
    );
    // A handoff offered to me is in both lists: its buttons are in 我的会话 only.
    replace(queueList, queue.length ? queue.map((x) => item(x, true)) : h('li', { class: 'empty' }, t('list.empty')));
    mineCount.textContent = String(mine.length);
    queueCount.textContent = String(queue.length);
  }

  const el = h(
    'nav',
    { class: 'lists', 'aria-label': t('list.label') },
    h('section', { class: 'list-section' }, h('h2', { id: 'mine-title' }, t('list.mine'), ' ', mineCount), mineList),
    h(
      'section',
      { class: 'list-section' },
      h('h2', { id: 'queue-title' }, t('list.queue'), ' ', queueCount),
      queueList,
    ),
  );
  update();

  return {
    el,
    update,
    current: () => last,
    select(id) {
      selectedId = id;
      update();
    },
    tick: () => el.querySelectorAll('.wait').forEach(updateWait),
  };
}
