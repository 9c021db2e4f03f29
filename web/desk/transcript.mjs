// A conversation's transcript: messages from the citizen, the assistant, agents and department staff,
// deduplicated by activity id and kept in sequence order. Every text is a text node, never markup.
import { h } from '/common/dom.mjs';
import { formatTime, t } from './i18n.mjs';
import { seqOf } from './stream.mjs';

const ROLES = new Set(['user', 'bot', 'agent', 'department']);
const roleOf = (activity) => (ROLES.has(activity?.from?.role) ? activity.from.role : 'bot');

/** Media the gateway keeps for staff (`/api/media/<id>`): the only attachment URLs shown. */
const mediaUrl = (url) => (typeof url === 'string' && /^\/api\/media\/[A-Za-z0-9_-]+$/.test(url) ? url : null);

function attachment(item) {
  const url = mediaUrl(item?.contentUrl);
  const type = String(item?.contentType ?? '');
  const name = item?.name || t('conv.attachment');
  if (!url) return h('span', { class: 'msg-attachment' }, `[${name}]`);
  if (type.startsWith('image/'))
    return h('a', { href: url, target: '_blank', rel: 'noopener' }, h('img', { src: url, alt: name }));
  if (type.startsWith('audio/')) return h('audio', { src: url, controls: true, preload: 'none' });
  return h('a', { href: url, class: 'msg-attachment', download: '' }, name);
}

/**
 * One message element: `.msg.from-<role>` with the sender, the time and `.msg-text`; a citizen's text
 * message gets a "加入评测" button when `toEval` is given.
 */
export function messageElement(activity, toEval) {
  const role = roleOf(activity);
  const name = activity.from?.name;
  const sender = role === 'bot' ? t('from.bot') : name ? `${name} · ${t(`from.${role}`)}` : t(`from.${role}`);
  const attachments = Array.isArray(activity.attachments) ? activity.attachments : [];
  return h(
    'li',
    { class: ['msg', `from-${role}`], dataset: { id: String(activity.id ?? '') } },
    h(
      'div',
      { class: 'msg-head' },
      h('span', { class: 'msg-from' }, sender),
      activity.timestamp
        ? h('time', { class: 'msg-time', datetime: activity.timestamp }, formatTime(activity.timestamp))
        : null,
    ),
    activity.text ? h('div', { class: 'msg-text' }, String(activity.text)) : null,
    attachments.length ? h('div', { class: 'msg-attachments' }, attachments.map(attachment)) : null,
    toEval && role === 'user' && activity.text
      ? h('button', { type: 'button', class: 'link msg-eval', onclick: () => toEval(activity) }, t('conv.toEval'))
      : null,
  );
}

const shown = (activity) =>
  (activity.type === undefined || activity.type === 'message') &&
  (activity.text || (Array.isArray(activity.attachments) && activity.attachments.length));

export class Transcript {
  /** `toEval(activity)`: turns a citizen's message into an eval case (absent: no such button). */
  constructor({ toEval } = {}) {
    this.toEval = toEval;
    this.ids = new Set();
    this.lastSeq = 0;
    this.list = h('ol', { class: 'transcript' });
    this.el = h('div', { class: 'transcript-scroll', tabindex: '0', 'aria-label': t('conv.transcript') }, this.list);
  }

  /** Adds the activities not seen yet; answers the messages among them (for typing and notices). */
  add(activities) {
    const added = [];
    if (!Array.isArray(activities)) return added;
    const atBottom = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < 40;
    for (const activity of activities) {
      if (!activity || activity.id == null || this.ids.has(String(activity.id))) continue;
      this.ids.add(String(activity.id));
      const seq = seqOf(activity.id);
      if (Number.isFinite(seq) && seq > this.lastSeq) this.lastSeq = seq;
      if (!shown(activity)) continue;
      this.insert(messageElement(activity, this.toEval), seq);
      added.push(activity);
    }
    if (added.length && (atBottom || this.list.children.length === added.length)) this.scrollToEnd();
    return added;
  }

  /** A message the server confirmed (POST answered its id) before the stream delivered it. */
  addLocal(activity) {
    if (!activity?.id || this.ids.has(String(activity.id))) return;
    // Not counted in lastSeq: a reconnect must still replay whatever came before it.
    const before = this.lastSeq;
    this.add([activity]);
    this.lastSeq = before;
  }

  insert(el, seq) {
    if (Number.isFinite(seq)) {
      el.dataset.seq = String(seq);
      for (let node = this.list.lastElementChild; node; node = node.previousElementSibling) {
        // Messages without a sequence number stay where they are; the new one goes after them.
        const other = Number(node.dataset.seq ?? NaN);
        if (!Number.isFinite(other) || other <= seq) {
          node.after(el);
          return;
        }
      }
      this.list.prepend(el);
      return;
    }
    this.list.append(el);
  }

  scrollToEnd() {
    this.el.scrollTop = this.el.scrollHeight;
  }
}
