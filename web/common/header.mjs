// The header bar of the staff pages (console, desk): the brand (the logo, the page's name and the hotline's),
// then the page's own parts: its navigation or tabs, the signed-in user.
import { h } from './dom.mjs';

/** `<header class="topbar">` with the brand first; `t` gives the names (app.title, app.hotline). */
export function staffHeader(t, ...children) {
  return h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'brand' },
      h('span', { class: 'logo', 'aria-hidden': 'true' }, '12345'),
      h('span', { class: 'brand-text' }, h('strong', {}, t('app.title')), h('small', {}, t('app.hotline'))),
    ),
    children,
  );
}
