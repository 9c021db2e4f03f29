/* global document */
// The staff sign-in page of the console and the desk: user name and password, the answer to a wrong
// password or a failure, the page title. Its texts are the page's own (`t`: signIn.*, app.hotline, app.title).
import { h, field, replace } from './dom.mjs';
import { ApiError, auth } from './request.mjs';

/**
 * Shows the sign-in form as the whole of `app`. After a successful sign-in `signedIn()` runs; its errors,
 * like a refused sign-in, show in the form. `notice` is shown in the form at first (signed out, session
 * expired), `help` is a line under the button and `after` a node under the form. `markRequired` gives the
 * two labels the required mark (*).
 */
export function renderSignIn(app, { t, describeError, signedIn, notice, help, after, markRequired = false }) {
  const username = h('input', { name: 'username', autocomplete: 'username', required: markRequired });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: markRequired,
  });
  const error = h('p', { class: 'form-error', role: 'alert' }, notice ?? '');
  const button = h('button', { type: 'submit', class: 'primary' }, t('signIn.submit'));
  const form = h(
    'form',
    {
      class: 'signin-card',
      'aria-labelledby': 'signin-title',
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = '';
        button.disabled = true;
        try {
          await auth.login(username.value.trim(), password.value);
          password.value = '';
          await signedIn();
        } catch (e) {
          error.textContent =
            e instanceof ApiError && e.status === 401
              ? t('signIn.wrong')
              : e instanceof ApiError && e.status === 429
                ? t('signIn.locked')
                : describeError(e);
          password.select();
        } finally {
          button.disabled = false;
        }
      },
    },
    h('div', { class: 'signin-brand' }, h('span', { class: 'logo' }, '12345'), h('span', {}, t('app.hotline'))),
    h('h1', { id: 'signin-title' }, t('signIn.title')),
    // The label takes the required mark from its control: unmarked fields become required only afterwards.
    field(t('signIn.username'), username),
    field(t('signIn.password'), password),
    error,
    button,
    help ? h('p', { class: 'hint' }, help) : null,
  );
  username.required = true;
  password.required = true;
  replace(app, h('main', { class: 'signin', id: 'view' }, form, after));
  app.removeAttribute('aria-busy');
  document.title = `${t('signIn.title')} · ${t('app.title')}`;
  username.focus();
}

/**
 * Sign-in and sign-out of a staff page whose signed-in part runs timers or connections: both first call
 * `teardown()` to stop them. `signedIn` starts the page again after a sign-in.
 */
export function sessionControls(app, { t, describeError, signedIn, teardown, logout }) {
  const showSignIn = (notice) => {
    teardown();
    renderSignIn(app, { t, describeError, signedIn, notice });
  };
  const signOut = async () => {
    teardown();
    try {
      await logout();
    } catch {
      // Signed out locally either way.
    }
    showSignIn(t('signIn.signedOut'));
  };
  return { showSignIn, signOut };
}
