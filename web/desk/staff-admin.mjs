// 账号管理, for administrators: the staff accounts with their roles and whether they may sign in; adding an
// account, changing its roles, disabling it (which ends its sessions) and enabling it again.
import { h, field, replace } from '/common/dom.mjs';
import { api, STAFF_ROLES } from './api.mjs';
import { checkboxGroup } from './choices.mjs';
import { modal } from './dialogs.mjs';
import { describeError, formatTime, label, t } from './i18n.mjs';
import { MIN_PASSWORD } from './password.mjs';
import { table } from './table.mjs';

const USERNAME = /^[a-z0-9._-]{2,64}$/;
const nameOf = (account) => account.displayName || account.username;
const roleNames = (roles) => (roles ?? []).map((r) => label('role', r)).join(t('staff.roleSeparator'));

/** The role checkboxes, `checked` ticked. */
const roleChoices = (checked) =>
  checkboxGroup(
    t('staff.roles'),
    STAFF_ROLES.map((r) => ({ value: r, text: label('role', r) })),
    { name: 'roles', checked },
  );

function addDialog({ toast }) {
  const username = h('input', {
    name: 'username',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: 64,
    autocapitalize: 'none',
  });
  const displayName = h('input', { name: 'displayName', autocomplete: 'off', maxlength: 64 });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', maxlength: 256 });
  const roles = roleChoices(['agent']);
  return modal({
    title: t('staff.addTitle'),
    body: [
      field(t('staff.username'), username, { hint: t('staff.usernameHint') }),
      field(t('staff.displayName'), displayName),
      field(t('staff.initialPassword'), password, { hint: t('password.rule', { min: MIN_PASSWORD }) }),
      roles.el,
    ],
    confirmLabel: t('staff.add'),
    confirm: async () => {
      const account = {
        username: username.value.trim(),
        displayName: displayName.value.trim(),
        password: password.value,
        roles: roles.values(),
      };
      const problem = [
        [!USERNAME.test(account.username), username, t('staff.badUsername')],
        [!account.displayName, displayName, t('staff.noDisplayName')],
        [account.password.length < MIN_PASSWORD, password, t('password.tooShort', { min: MIN_PASSWORD })],
        [!account.roles.length, null, t('staff.noRole')],
      ].find(([bad]) => bad);
      if (problem) {
        problem[1]?.focus();
        throw new Error(problem[2]);
      }
      const created = await api.addStaff(account);
      toast(t('staff.added', { name: account.username }));
      return created;
    },
  });
}

function rolesDialog(account, { toast }) {
  const roles = roleChoices(account.roles ?? []);
  return modal({
    title: t('staff.rolesTitle', { name: nameOf(account), username: account.username }),
    body: [roles.el],
    confirmLabel: t('staff.save'),
    confirm: async () => {
      const chosen = roles.values();
      if (!chosen.length) throw new Error(t('staff.noRole'));
      const updated = await api.updateStaff(account.username, { roles: chosen });
      toast(t('staff.rolesSaved', { name: nameOf(account) }));
      return updated;
    },
  });
}

function disableDialog(account, { toast }) {
  return modal({
    title: t('staff.disableTitle', { name: nameOf(account), username: account.username }),
    body: [h('p', {}, t('staff.disableHint'))],
    confirmLabel: t('staff.disable'),
    confirm: async () => {
      const updated = await api.updateStaff(account.username, { disabled: true });
      toast(t('staff.disabled', { name: nameOf(account) }));
      return updated;
    },
  });
}

/** The accounts view; `me` is the signed-in administrator. Answers `{ el, refresh() }`. */
export function renderStaffAdmin({ me, toast }) {
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('div', { class: 'staff-body' });
  let loading = null;
  let again = false;

  /** A one-click change to an account (enable, unlock), told in a toast; the list shows it after. */
  async function change(account, changes, done) {
    try {
      await api.updateStaff(account.username, changes);
      toast(t(done, { name: nameOf(account) }));
    } catch (e) {
      toast(describeError(e));
    }
    refresh();
  }

  /** Shows the accounts again once a dialog made a change. */
  const after = async (dialog) => {
    if (await dialog) refresh();
  };

  function row(account) {
    const self = account.username === me.username;
    const actions = h(
      'div',
      { class: 'row-actions' },
      h(
        'button',
        { type: 'button', class: 'secondary small', onclick: () => after(rolesDialog(account, { toast })) },
        t('staff.rolesButton'),
      ),
      account.lockedUntil
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary small',
              onclick: () => change(account, { unlock: true }, 'staff.unlocked'),
            },
            t('staff.unlock'),
          )
        : null,
      account.disabled
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary small',
              onclick: () => change(account, { disabled: false }, 'staff.enabled'),
            },
            t('staff.enable'),
          )
        : h(
            'button',
            {
              type: 'button',
              class: 'danger small',
              // An administrator cannot lock themselves out (the server refuses it too).
              disabled: self,
              title: self ? t('staff.notSelf') : null,
              onclick: () => after(disableDialog(account, { toast })),
            },
            t('staff.disable'),
          ),
    );
    return [
      h('span', { class: 'mono' }, account.username),
      account.displayName ?? '',
      roleNames(account.roles),
      h(
        'span',
        {},
        h(
          'span',
          { class: ['badge', account.disabled ? 'account-disabled' : 'account-enabled'] },
          t(account.disabled ? 'staff.state.disabled' : 'staff.state.enabled'),
        ),
        account.lockedUntil
          ? h(
              'span',
              { class: ['badge', 'account-disabled'], title: formatTime(account.lockedUntil) },
              t('staff.state.locked', { until: formatTime(account.lockedUntil) }),
            )
          : null,
      ),
      actions,
    ];
  }

  function render(items) {
    replace(
      body,
      table(
        t('staff.accounts'),
        [t('staff.username'), t('staff.displayName'), t('staff.roles'), t('staff.state'), t('staff.actions')],
        items.map(row),
      ),
    );
    status.textContent = t('sup.updated', { at: formatTime(new Date().toISOString()) });
  }

  /** One request at a time; asked again meanwhile, one more after it (a change is never shown stale). */
  function refresh() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = api
      .staff()
      .then((answer) => render(answer?.items ?? []))
      .catch((e) => {
        status.textContent = describeError(e);
      })
      .finally(() => {
        loading = null;
        if (again) {
          again = false;
          refresh();
        }
      });
    return loading;
  }

  const el = h(
    'section',
    { class: 'supervisor staff-admin', 'aria-labelledby': 'staff-title' },
    h(
      'div',
      { class: 'section-head' },
      h('h2', { id: 'staff-title' }, t('staff.title')),
      h(
        'button',
        { type: 'button', class: 'primary', onclick: () => after(addDialog({ toast })) },
        t('staff.addButton'),
      ),
    ),
    status,
    body,
  );
  return { el, refresh };
}
