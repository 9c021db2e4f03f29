/* global document, window, location, history */
// The knowledge editors' console: sign-in, the shell (header, navigation) and a small hash router.
import { h, replace, toaster } from '/common/dom.mjs';
import { staffHeader } from '/common/header.mjs';
import { renderSignIn } from '/common/sign-in.mjs';
import { api, ApiError, onUnauthorized } from './api.mjs';
import { renderArticleList } from './article-list.mjs';
import { renderArticlePage, renderNewArticle } from './article-page.mjs';
import { confirmDialog } from './dialog.mjs';
import { renderEvalRun } from './eval-run.mjs';
import { renderEvalRuns } from './eval-runs.mjs';
import { describeError, getLocale, roleName, setLocale, t } from './i18n.mjs';
import { renderSynonyms } from './synonyms.mjs';
import { renderTryQuestion } from './try-question.mjs';

const app = document.getElementById('app');
const toastEl = document.getElementById('toast');

/** Shared with every view: the session, the categories, navigation and notices. */
const ctx = {
  session: null,
  categories: [],
  categoryName: (code) => ctx.categories.find((c) => c.code === code)?.name ?? code,
  navigate: (hash) => {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  /** A view with unsaved edits sets a check; leaving it then asks first. */
  leaveGuard: null,
  toast: toaster(toastEl, 4000),
};

let view;
let currentHash = location.hash;

function showSignIn(notice) {
  ctx.session = null;
  renderSignIn(app, {
    t,
    describeError,
    signedIn: showApp,
    notice,
    help: t('signIn.help'),
    after: localeToggle(),
    markRequired: true,
  });
}

function localeToggle() {
  return h(
    'button',
    {
      type: 'button',
      class: 'link locale',
      lang: getLocale() === 'en' ? 'zh-CN' : 'en',
      onclick: async () => {
        if (ctx.leaveGuard?.() && !(await confirmDialog({ title: t('leave.title'), message: t('leave.message') })))
          return;
        ctx.leaveGuard = null;
        setLocale(getLocale() === 'en' ? 'zh-CN' : 'en');
        if (ctx.session) renderShell();
        else showSignIn();
      },
    },
    t('app.otherLocale'),
  );
}

async function showApp() {
  try {
    ctx.session = await api.me();
    ctx.categories = await api.categories();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showSignIn();
    replace(app, h('p', { class: 'form-error boot', role: 'alert' }, describeError(e)));
    return;
  }
  renderShell();
}

function renderShell() {
  const { session } = ctx;
  const nav = [
    ['#/', t('nav.articles'), 'articles'],
    ['#/try', t('nav.try'), 'try'],
    ['#/synonyms', t('nav.synonyms'), 'synonyms'],
    ['#/evals', t('nav.evals'), 'evals'],
  ];
  view = h('main', { id: 'view', tabindex: '-1' });
  replace(
    app,
    staffHeader(
      t,
      h(
        'nav',
        { 'aria-label': t('nav.label') },
        nav.map(([href, label, key]) => h('a', { href, dataset: { nav: key } }, label)),
      ),
      h(
        'div',
        { class: 'user' },
        h('span', { class: 'user-name', title: session.username }, session.displayName),
        h(
          'span',
          { class: 'roles', 'aria-label': t('user.roles') },
          session.roles.map((r) => h('span', { class: 'role' }, roleName(r))),
        ),
        localeToggle(),
        h('button', { type: 'button', class: 'secondary small', onclick: signOut }, t('user.signOut')),
      ),
    ),
    view,
  );
  app.removeAttribute('aria-busy');
  route();
}

async function signOut() {
  if (ctx.leaveGuard?.() && !(await confirmDialog({ title: t('leave.title'), message: t('leave.message') }))) return;
  ctx.leaveGuard = null;
  try {
    await api.logout();
  } finally {
    history.replaceState(null, '', location.pathname);
    currentHash = '';
    showSignIn(t('signIn.signedOut'));
  }
}

/** `#/`, `#/articles/<id>[/revisions|/audit]`, `#/new`, `#/try`, `#/synonyms`, `#/evals[/<run id>]`. */
function route() {
  if (!ctx.session || !view) return;
  currentHash = location.hash;
  const path = location.hash.replace(/^#/, '') || '/';
  const article = /^\/articles\/([^/]+)(?:\/(revisions|audit))?$/.exec(path);
  const evalRun = /^\/evals\/([^/]+)$/.exec(path);
  const section = article || path === '/new' ? 'articles' : evalRun ? 'evals' : path.slice(1) || 'articles';
  for (const link of app.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  ctx.leaveGuard = null;
  view.replaceChildren();
  let title = t('nav.articles');
  if (article) {
    renderArticlePage(view, ctx, decodeURIComponent(article[1]), article[2] ?? 'content');
    title = decodeURIComponent(article[1]);
  } else if (path === '/new') {
    renderNewArticle(view, ctx);
    title = t('new.title');
  } else if (path === '/try') {
    renderTryQuestion(view, ctx);
    title = t('nav.try');
  } else if (path === '/synonyms') {
    renderSynonyms(view, ctx);
    title = t('nav.synonyms');
  } else if (path === '/evals') {
    renderEvalRuns(view, ctx);
    title = t('nav.evals');
  } else if (evalRun) {
    renderEvalRun(view, ctx, decodeURIComponent(evalRun[1]));
    title = t('nav.evals');
  } else renderArticleList(view, ctx);
  document.title = `${title} · ${t('app.title')}`;
}

window.addEventListener('hashchange', async () => {
  // In-page anchors (the skip link) are not routes.
  if (location.hash && !location.hash.startsWith('#/')) return;
  if (ctx.leaveGuard?.()) {
    const target = location.hash;
    history.replaceState(null, '', currentHash || location.pathname);
    if (!(await confirmDialog({ title: t('leave.title'), message: t('leave.message') }))) return;
    ctx.leaveGuard = null;
    history.replaceState(null, '', target || location.pathname);
  }
  route();
});
window.addEventListener('beforeunload', (event) => {
  if (ctx.leaveGuard?.()) event.preventDefault();
});
document.querySelector('.skip-link')?.addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('view')?.focus();
});

onUnauthorized(() => {
  if (ctx.session) showSignIn(t('signIn.expired'));
});

showApp();
