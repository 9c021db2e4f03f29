/* global document, window, history, location */
// 统计分析: the supervisors' dashboard. Sign-in, the shell (header, filters, status), the key figures, the
// charts, the tables and the reports, all from one overview request per change of the filters (kept in the
// query string); a click on a number opens the records behind it.
import { h, replace, toaster } from '/common/dom.mjs';
import { staffHeader } from '/common/header.mjs';
import { sessionControls } from '/common/sign-in.mjs';
import { api, ApiError, ANALYTICS_ROLES, hasRole, onUnauthorized } from './api.mjs';
import { createDrill } from './drill.mjs';
import { filtersSearch, readFilters, renderFilterBar } from './filters.mjs';
import { describeError, formatDateTime, t } from './i18n.mjs';
import { renderKpis } from './kpis.mjs';
import { renderPanels } from './panels.mjs';
import { renderReports } from './reports.mjs';

const app = document.getElementById('app');
const toast = toaster(document.getElementById('toast'), 5000);
// The city's calendar days (the server's default); every Chinese city is in this zone.
const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** Everything of a signed-in dashboard; `teardown()` stops its timers and charts. */
let dashboard = null;

function teardown() {
  if (!dashboard) return;
  dashboard.stop();
  dashboard = null;
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
        { class: 'signin-card no-role', role: 'alert' },
        h('h1', {}, t('noRole.title')),
        h('p', {}, t('noRole.text')),
        h(
          'div',
          { class: 'actions' },
          h('a', { class: 'button secondary', href: '/desk' }, t('nav.desk')),
          h('button', { type: 'button', class: 'secondary', onclick: signOut }, t('user.signOut')),
        ),
      ),
    ),
  );
  app.removeAttribute('aria-busy');
  document.title = `${t('noRole.title')} · ${t('app.title')}`;
}

function showBootError(error) {
  replace(
    app,
    h(
      'main',
      { class: 'boot-error', id: 'view' },
      h('p', { class: 'form-error', role: 'alert' }, t('status.failed', { reason: describeError(error) })),
      h('button', { type: 'button', class: 'secondary', onclick: boot }, t('status.retry')),
    ),
  );
  app.removeAttribute('aria-busy');
}

async function boot() {
  let session;
  let dimensions;
  try {
    session = await api.me();
    if (!hasRole(session, ANALYTICS_ROLES)) return showNoRole();
    dimensions = await api.dimensions();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showSignIn();
    if (e instanceof ApiError && e.status === 403) return showNoRole();
    return showBootError(e);
  }
  renderDashboard(session, dimensions);
}

/** Display names of dimension keys, from the dimensions the filter bar lists. */
function namesOf(dimensions) {
  const lookup = (items, key) => {
    const map = new Map((items ?? []).map((item) => [item[key], item.name]));
    return (value) => (value ? (map.get(value) ?? value) : '—');
  };
  return {
    channel: lookup(dimensions.channels, 'key'),
    demandType: lookup(dimensions.demandTypes, 'key'),
  };
}

function renderDashboard(session, dimensions) {
  teardown();
  const names = namesOf(dimensions);
  const timeZone = dimensions.timeZone ?? DEFAULT_TIME_ZONE;
  let filters = readFilters(location.search);
  let overview = null;
  let seq = 0;

  const drill = createDrill({ names });
  /** Opens the records behind a number: the page's filters (as the server resolved them) and `spec`'s. */
  const openDrill = (spec) => overview && drill.open(spec, overview.filters);

  const filterBar = renderFilterBar({
    dimensions,
    timeZone,
    onChange: (next) => {
      filters = Object.fromEntries(Object.entries(next).filter(([, value]) => value));
      history.pushState(null, '', `${location.pathname}${filtersSearch(filters)}`);
      filterBar.set(filters, overview?.filters);
      load();
    },
  });
  filterBar.set(filters);

  const kpis = renderKpis({ drill: openDrill });
  const panels = renderPanels({ drill: openDrill });
  const reports = renderReports({ toast });

  const range = h('span', { class: 'range' });
  const freshness = h('span', { class: 'freshness' });
  const loading = h(
    'span',
    { class: 'loading-note', hidden: true },
    h('span', { class: 'spinner' }),
    t('status.loading'),
  );
  const loadError = h('div', { class: 'load-error', role: 'alert', hidden: true });
  const content = h('div', { class: 'content' }, kpis.el, panels.el);
  const main = h(
    'main',
    { id: 'view', class: 'dashboard', tabindex: '-1' },
    filterBar.el,
    h('div', { class: 'status-bar', 'aria-live': 'polite' }, range, freshness, loading),
    loadError,
    content,
    reports.el,
  );

  function render(data) {
    overview = data;
    filterBar.set(filters, data.filters);
    range.textContent = t('status.range', { from: data.filters.from, to: data.filters.to });
    freshness.textContent = data.freshAt
      ? t('status.freshAt', { at: formatDateTime(data.freshAt, { year: true }) })
      : t('status.notRolledUp');
    kpis.update(data);
    panels.render(data);
  }

  async function load() {
    const mine = ++seq;
    main.setAttribute('aria-busy', 'true');
    content.classList.add('is-loading');
    loading.hidden = false;
    loadError.hidden = true;
    try {
      const data = await api.overview(filters);
      if (mine !== seq) return;
      render(data);
    } catch (e) {
      if (mine !== seq) return;
      if (e instanceof ApiError && e.status === 403) return showNoRole();
      if (e instanceof ApiError && e.status === 401) return; // onUnauthorized shows the sign-in.
      replace(
        loadError,
        h('span', {}, t('status.failed', { reason: describeError(e) })),
        h('button', { type: 'button', class: 'secondary small', onclick: load }, t('status.retry')),
      );
      loadError.hidden = false;
    } finally {
      if (mine === seq) {
        main.removeAttribute('aria-busy');
        content.classList.remove('is-loading');
        loading.hidden = true;
      }
    }
  }

  const onPopState = () => {
    filters = readFilters(location.search);
    filterBar.set(filters, overview?.filters);
    load();
  };
  window.addEventListener('popstate', onPopState);

  dashboard = {
    stop() {
      window.removeEventListener('popstate', onPopState);
      reports.stop();
      panels.dispose();
      document.querySelector('dialog.drill')?.remove();
    },
  };

  replace(
    app,
    staffHeader(
      t,
      h(
        'nav',
        { 'aria-label': t('nav.label') },
        h('a', { href: '/dashboard', 'aria-current': 'page' }, t('app.title')),
        h('a', { href: '/desk' }, t('nav.desk')),
      ),
      h(
        'div',
        { class: 'user' },
        h('span', { class: 'user-name', title: session.username }, session.displayName || session.username),
        h('button', { type: 'button', class: 'secondary small', onclick: signOut }, t('user.signOut')),
      ),
    ),
    main,
  );
  app.removeAttribute('aria-busy');
  document.title = `${t('app.title')} · ${t('app.hotline')}`;
  load();
  reports.refresh();
}

onUnauthorized(() => {
  if (dashboard) showSignIn(t('signIn.expired'));
});

boot();
