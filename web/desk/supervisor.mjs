/* global setInterval, clearInterval */
// The supervisor view (班长视图): queues, agents and live conversations, refreshed every 5 s and whenever
// the handoffs change. A live conversation opens read-only; each agent's row opens their desk settings.
import { h, replace } from '/common/dom.mjs';
import { agentSettingsDialog } from './agent-settings.mjs';
import { api } from './api.mjs';
import { priorityBadge } from './context-card.mjs';
import { describeError, formatDuration, formatTime, label, t } from './i18n.mjs';
import { table } from './table.mjs';

const EVERY = 5000;
const nameOf = (person) => person?.displayName || person?.username || '';

/**
 * `open(handoff)` opens a live conversation read-only; `toast(text)` tells of a saved agent setting.
 * Answers `{ el, refresh(), start(), stop() }`.
 */
export function renderSupervisor({ open, toast }) {
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('div', { class: 'supervisor-body' });
  let timer = null;
  let loading = null;

  function render(data) {
    const queues = data?.queues ?? [];
    const agents = data?.agents ?? [];
    const live = data?.live ?? [];
    replace(
      body,
      table(
        t('sup.queues'),
        [t('sup.queue'), t('sup.waiting'), t('sup.longest')],
        queues.map((q) => [
          q.queue ?? '',
          String(q.waiting ?? 0),
          q.longestWaitMs ? formatDuration(q.longestWaitMs) : '—',
        ]),
      ),
      table(
        t('sup.agents'),
        [t('sup.agent'), t('sup.presence'), t('sup.load'), t('sup.settings')],
        agents.map((a) => [
          nameOf(a),
          [
            h('span', { class: ['presence', `presence-${a.presence}`] }, label('presence', a.presence)),
            // Available but with no desk open: routing offers them nothing.
            a.connected === false ? h('span', { class: 'muted offline-mark' }, ` · ${t('sup.offline')}`) : null,
          ],
          `${a.active ?? 0} / ${a.capacity ?? '—'}`,
          h(
            'button',
            {
              type: 'button',
              class: 'secondary small',
              title: t('sup.settingsFor', { name: nameOf(a) }),
              onclick: async () => {
                if (await agentSettingsDialog(a, { toast })) refresh();
              },
            },
            t('sup.settingsButton'),
          ),
        ]),
      ),
      h(
        'section',
        { class: 'live' },
        h('h2', {}, t('sup.live')),
        live.length
          ? h(
              'ul',
              { class: 'live-list' },
              live.map((handoff) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    { type: 'button', class: 'live-item', onclick: () => open(handoff) },
                    priorityBadge(handoff.priority),
                    h('span', { class: 'citizen' }, handoff.citizen?.name || t('from.user')),
                    h('span', { class: 'channel' }, label('channel', handoff.channelId)),
                    h('span', { class: 'muted' }, label('status', handoff.status)),
                    handoff.agent ? h('span', { class: 'muted' }, nameOf(handoff.agent)) : null,
                    handoff.preview ? h('span', { class: 'preview' }, handoff.preview) : null,
                  ),
                ),
              ),
            )
          : h('p', { class: 'empty' }, t('sup.noLive')),
      ),
    );
    status.textContent = t('sup.updated', { at: formatTime(new Date().toISOString()) });
  }

  async function refresh() {
    // One request at a time: a slow answer is not overtaken by an older one.
    if (loading) return loading;
    loading = api
      .supervisor()
      .then(render)
      .catch((e) => {
        status.textContent = describeError(e);
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  const el = h(
    'section',
    { class: 'supervisor', 'aria-labelledby': 'sup-title' },
    h('h2', { id: 'sup-title' }, t('sup.title')),
    status,
    body,
  );
  return {
    el,
    refresh,
    start() {
      if (timer) return;
      refresh();
      timer = setInterval(refresh, EVERY);
    },
    stop() {
      clearInterval(timer);
      timer = null;
    },
  };
}
