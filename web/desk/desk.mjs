/* global document, setTimeout, clearTimeout, setInterval, clearInterval */
// The agent desk: sign-in, the shell (header with presence, password, tabs), the lists, the open
// conversation, the supervisor view, the accounts (admins), and the live connection that keeps them current.
import { h, field, replace, toaster } from '/common/dom.mjs';
import { staffHeader } from '/common/header.mjs';
import { sessionControls } from '/common/sign-in.mjs';
import { api, ApiError, ADMIN_ROLES, DESK_ROLES, SUPERVISOR_ROLES, hasRole, onUnauthorized } from './api.mjs';
import { Conversation } from './conversation.mjs';
import { describeError, t } from './i18n.mjs';
import { renderLists } from './lists.mjs';
import { passwordDialog } from './password.mjs';
import { renderStaffAdmin } from './staff-admin.mjs';
import { DeskStream } from './stream.mjs';
import { renderSupervisor } from './supervisor.mjs';

const app = document.getElementById('app');
const toast = toaster(document.getElementById('toast'), 5000);
const PRESENCES = ['available', 'busy', 'away'];

/** Everything of a signed-in desk; `teardown()` stops its timers and its connection. */
let desk = null;

function teardown() {
  if (!desk) return;
  desk.stream.stop();
  desk.supervisor?.stop();
  clearInterval(desk.ticker);
  clearTimeout(desk.refreshTimer);
  desk = null;
}

const { showSignIn, signOut } = sessionControls(app, {
  t,
  describeError,
  signedIn: () => boot(),
  teardown,
  logout: () => api.logout(),
});

function showNoRole() {
  teardown();
  replace(
    app,
    h(
      'main',
      { class: 'signin', id: 'view' },
      h(
        'div',
        { class: 'signin-card' },
        h('p', { class: 'form-error', role: 'alert' }, t('signIn.noRole')),
        h('button', { type: 'button', class: 'secondary', onclick: signOut }, t('user.signOut')),
      ),
    ),
  );
  app.removeAttribute('aria-busy');
}

async function boot() {
  let session;
  let me;
  try {
    session = await api.me();
    if (!hasRole(session, DESK_ROLES)) return showNoRole();
    me = await api.deskMe();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showSignIn();
    if (e instanceof ApiError && e.status === 403) return showNoRole();
    replace(app, h('p', { class: 'form-error boot', role: 'alert' }, describeError(e)));
    return;
  }
  renderDesk({ ...session, ...me, roles: me?.roles ?? session.roles });
}

function presenceSelect(me) {
  const select = h(
    'select',
    {
      name: 'presence',
      class: `presence-${me.presence}`,
      onchange: async () => {
        const next = select.value;
        try {
          const answer = await api.setPresence(next);
          me.presence = answer?.presence ?? next;
        } catch (e) {
          toast(describeError(e));
        }
        select.value = me.presence;
        select.className = `presence-${me.presence}`;
      },
    },
    PRESENCES.map((p) => h('option', { value: p, selected: p === me.presence }, t(`presence.${p}`))),
  );
  return select;
}

function renderDesk(me) {
  teardown();
  const supervisorAllowed = hasRole(me, SUPERVISOR_ROLES);
  const main = h('div', { class: 'conv-main' });
  const side = h('div', { class: 'conv-side' });
  const offline = h('p', { class: 'offline', role: 'alert', hidden: true }, t('stream.offline'));
  const presence = presenceSelect(me);
  const state = { me, offers: new Map(), refreshing: null, again: false };
  const stream = new DeskStream('/api/desk/stream', {}, (id) => state.conversation?.lastSeq(id) ?? 0);
  desk = { stream, state };

  const conversation = new Conversation({ me, main, side, stream, toast, changed: () => scheduleRefresh() });
  state.conversation = conversation;
  const openHandoff = (handoff, options) => {
    showTab('desk');
    lists.select(handoff.id);
    conversation.open(handoff.id, options);
  };
  const lists = renderLists(me, {
    open: (handoff) => openHandoff(handoff),
    accept: async (handoff) => {
      try {
        await api.accept(handoff.id);
        state.offers.delete(handoff.id);
        openHandoff(handoff);
      } catch (e) {
        state.offers.delete(handoff.id);
        toast(e instanceof ApiError && e.status === 409 ? t('error.taken') : describeError(e));
      }
      scheduleRefresh();
    },
    decline: async (handoff) => {
      try {
        await api.decline(handoff.id);
      } catch (e) {
        toast(describeError(e));
      }
      state.offers.delete(handoff.id);
      scheduleRefresh();
    },
  });
  const supervisor = supervisorAllowed
    ? renderSupervisor({ open: (handoff) => openHandoff(handoff, { readOnly: true }), toast })
    : null;
  desk.supervisor = supervisor;
  const accounts = hasRole(me, ADMIN_ROLES) ? renderStaffAdmin({ me, toast }) : null;

  // One pane per tab: the desk, and the supervisor view and the accounts for those allowed them.
  const grid = h('div', { class: 'desk-grid' }, lists.el, main, side);
  const panes = { desk: grid };
  if (supervisor) panes.supervisor = h('div', { class: 'supervisor-pane', hidden: true }, supervisor.el);
  if (accounts) panes.accounts = h('div', { class: 'staff-pane', hidden: true }, accounts.el);
  const tabs = {};
  function showTab(name) {
    for (const [key, pane] of Object.entries(panes)) pane.hidden = key !== name;
    for (const [key, tab] of Object.entries(tabs)) tab.setAttribute('aria-pressed', String(key === name));
    if (name === 'supervisor') supervisor.start();
    else supervisor?.stop();
    if (name === 'accounts') accounts.refresh();
  }
  if (Object.keys(panes).length > 1)
    for (const name of Object.keys(panes))
      tabs[name] = h('button', { type: 'button', class: 'tab', onclick: () => showTab(name) }, t(`tab.${name}`));

  replace(
    app,
    staffHeader(
      t,
      Object.keys(tabs).length
        ? h('div', { class: 'tabs', role: 'group', 'aria-label': t('tab.label') }, Object.values(tabs))
        : null,
      h(
        'div',
        { class: 'user' },
        h('span', { class: 'user-name', title: me.username }, me.displayName || me.username),
        supervisorAllowed ? h('a', { class: 'button secondary small', href: '/dashboard' }, t('nav.dashboard')) : null,
        field(t('user.presence'), presence),
        h(
          'button',
          { type: 'button', class: 'secondary small', onclick: () => passwordDialog({ toast }) },
          t('user.password'),
        ),
        h('button', { type: 'button', class: 'secondary small', onclick: signOut }, t('user.signOut')),
      ),
    ),
    offline,
    h('main', { id: 'view', class: 'workspace', tabindex: '-1' }, Object.values(panes)),
  );
  app.removeAttribute('aria-busy');
  document.title = `${t('app.title')} · ${t('app.hotline')}`;
  showTab('desk');

  /** Refetches both lists; one fetch at a time, and one more when asked again meanwhile. */
  async function refreshLists() {
    if (state.refreshing) {
      state.again = true;
      return;
    }
    const started = Date.now();
    state.refreshing = Promise.all([api.handoffs('queue'), api.handoffs('mine')]);
    try {
      const [queue, mine] = await state.refreshing;
      if (desk?.state !== state) return;
      const mineItems = mine?.items ?? [];
      // An offer that arrived over the stream after this fetch started is newer than its answer.
      for (const [id, offer] of state.offers)
        if (mineItems.some((x) => x.id === id) || offer.at < started) state.offers.delete(id);
      const extra = [...state.offers.values()].map((offer) => offer.handoff);
      lists.update({ queue: queue?.items ?? [], mine: [...mineItems, ...extra] });
      followOpenConversation(mineItems);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) toast(describeError(e));
    } finally {
      state.refreshing = null;
      if (state.again) {
        state.again = false;
        scheduleRefresh();
      }
    }
  }

  /** The open conversation changed elsewhere (transfer, consult, closed): its card is fetched again. */
  function followOpenConversation(mineItems) {
    const view = conversation.view;
    if (!view || view.ended) return;
    const summary = mineItems.find((x) => x.id === view.handoff.id);
    const key = (x) => [x.status, x.agent?.username, x.consultant?.username].join('|');
    if (summary ? key(summary) !== key(view.handoff) : view.handoff.status !== 'closed') conversation.refresh();
  }

  function scheduleRefresh() {
    if (desk?.state !== state) return;
    clearTimeout(desk.refreshTimer);
    desk.refreshTimer = setTimeout(() => {
      refreshLists();
      if (supervisor && !panes.supervisor.hidden) supervisor.refresh();
    }, 100);
  }

  stream.handlers = {
    open(reconnected) {
      offline.hidden = true;
      if (reconnected) scheduleRefresh();
    },
    down() {
      offline.hidden = false;
    },
    message(data) {
      if (data.type === 'hello' && data.me?.presence && PRESENCES.includes(data.me.presence)) {
        me.presence = data.me.presence;
        presence.value = me.presence;
        presence.className = `presence-${me.presence}`;
      } else if (data.type === 'handoffs') scheduleRefresh();
      else if (data.type === 'offer' && data.handoff?.id) {
        state.offers.set(data.handoff.id, { handoff: data.handoff, at: Date.now() });
        lists.update({ mine: [...lists.current().mine.filter((x) => x.id !== data.handoff.id), data.handoff] });
        toast(t('offer.toast', { name: data.handoff.citizen?.name || t('from.user') }));
        scheduleRefresh();
      } else if (data.type === 'activities') conversation.activities(data.conversationId, data.activities);
      else if (data.type === 'typing') conversation.typing(data.conversationId, data.from);
      else if (data.type === 'note') conversation.note(data.handoffId, data.note);
    },
  };
  stream.start();
  desk.ticker = setInterval(() => lists.tick(), 1000);
  refreshLists();
}

onUnauthorized(() => {
  if (desk) showSignIn(t('signIn.expired'));
});

boot();
