// 修改密码: any signed-in staff member changes their own password (their other sessions end; this one stays).
import { h, field } from '/common/dom.mjs';
import { api, ApiError } from './api.mjs';
import { modal } from './dialogs.mjs';
import { t } from './i18n.mjs';

export const MIN_PASSWORD = 10;

const passwordInput = (name, autocomplete) =>
  h('input', { name, type: 'password', autocomplete, maxlength: 256, spellcheck: 'false' });

/** The dialog; the new password is checked here first (long enough, typed twice the same). */
export function passwordDialog({ toast }) {
  const current = passwordInput('current', 'current-password');
  const next = passwordInput('password', 'new-password');
  const again = passwordInput('confirm', 'new-password');
  return modal({
    title: t('password.title'),
    body: [
      field(t('password.current'), current),
      field(t('password.new'), next, { hint: t('password.rule', { min: MIN_PASSWORD }) }),
      field(t('password.confirm'), again),
    ],
    confirmLabel: t('password.submit'),
    confirm: async () => {
      const problem = [
        [!current.value, current, t('password.noCurrent')],
        [next.value.length < MIN_PASSWORD, next, t('password.tooShort', { min: MIN_PASSWORD })],
        [next.value !== again.value, again, t('password.mismatch')],
        [next.value === current.value, next, t('password.same')],
      ].find(([bad]) => bad);
      if (problem) {
        problem[1].focus();
        throw new Error(problem[2]);
      }
      try {
        await api.changePassword(current.value, next.value);
      } catch (e) {
        if (e instanceof ApiError && e.status === 403) {
          current.select();
          throw new Error(t('password.wrongCurrent'), { cause: e });
        }
        throw e;
      }
      toast(t('password.changed'));
      return true;
    },
  });
}
