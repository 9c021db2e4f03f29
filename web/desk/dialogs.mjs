/* global document, location, navigator */
// The conversation's modal dialogs (<dialog>: focus is trapped, Esc cancels): transfer or consult,
// invite a department, close with a disposition.
import { h, field, uid } from '/common/dom.mjs';
import { api } from './api.mjs';
import { describeError, formatDateTime, label, t } from './i18n.mjs';

/**
 * A modal form. `confirm()` runs on 确定; it may throw (the error shows in the dialog) or answer false to
 * keep the dialog open. Resolves to what `confirm` answered, or null when cancelled.
 */
export function modal({ title, body, confirmLabel = t('dialog.ok'), confirm, cancelLabel = t('dialog.cancel') }) {
  return new Promise((resolve) => {
    const titleId = uid('modal');
    const error = h('p', { class: 'form-error', role: 'alert' });
    const ok = confirm ? h('button', { type: 'submit', class: 'primary' }, confirmLabel) : null;
    let result = null;
    const dialog = h(
      'dialog',
      { class: 'modal', 'aria-labelledby': titleId },
      h(
        'form',
        {
          onsubmit: async (event) => {
            event.preventDefault();
            if (!confirm) return;
            error.textContent = '';
            ok.disabled = true;
            try {
              const answer = await confirm();
              if (answer === false) return;
              result = answer ?? true;
              dialog.close();
            } catch (e) {
              error.textContent = describeError(e);
            } finally {
              ok.disabled = false;
            }
          },
        },
        h('h2', { id: titleId }, title),
        body,
        error,
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, cancelLabel),
          ok,
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector('input, select, textarea, button')?.focus();
  });
}

const option = (value, text, selected = false) => h('option', { value, selected }, text);

/** Transfer to a queue or an agent (cold), or consult an agent first (warm). Resolves to the handoff. */
export async function transferDialog(handoff, me) {
  const queueSelect = h('select', { name: 'queue' });
  const agentSelect = h('select', { name: 'agent' });
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
  const loadError = h('p', { class: 'form-error', role: 'alert' });
  const modes = [
    ['queue', t('transfer.queue')],
    ['agent', t('transfer.agent')],
    ['consult', t('transfer.consult')],
  ];
  const radios = modes.map(([value], i) =>
    h('input', { type: 'radio', name: 'mode', value, id: uid('mode'), checked: i === 0, onchange: update }),
  );
  const queueField = field(t('transfer.queueLabel'), queueSelect);
  const agentField = field(t('transfer.agentLabel'), agentSelect);
  const noteField = field(t('dialog.note'), note);
  const consultHint = h('p', { class: 'hint' }, t('transfer.consultHint'));
  const mode = () => radios.find((r) => r.checked)?.value ?? 'queue';
  function update() {
    queueField.hidden = mode() !== 'queue';
    agentField.hidden = mode() === 'queue';
    noteField.hidden = mode() === 'consult';
    consultHint.hidden = mode() !== 'consult';
  }
  update();

  Promise.all([api.queues(), api.agents()])
    .then(([queues, agents]) => {
      queueSelect.replaceChildren(...(queues?.queues ?? []).map((q) => option(q, q, q === handoff.queue)));
      const others = (agents?.agents ?? []).filter((a) => a.username !== me.username);
      agentSelect.replaceChildren(
        ...others.map((a) =>
          option(
            a.username,
            t('transfer.agentOption', {
              name: a.displayName || a.username,
              presence: label('presence', a.presence),
              active: a.active ?? 0,
              capacity: a.capacity ?? '—',
            }),
          ),
        ),
      );
    })
    .catch((e) => {
      loadError.textContent = describeError(e);
    });

  return modal({
    title: t('transfer.title'),
    body: [
      h(
        'fieldset',
        { class: 'choices' },
        h('legend', {}, t('transfer.mode')),
        radios.map((radio, i) => h('label', { class: 'choice', for: radio.id }, radio, modes[i][1])),
      ),
      consultHint,
      queueField,
      agentField,
      noteField,
      loadError,
    ],
    confirm: async () => {
      const target = mode() === 'queue' ? queueSelect.value : agentSelect.value;
      if (!target) throw new Error(t('transfer.pick'));
      const text = note.value.trim();
      if (mode() === 'consult') return { mode: 'consult', handoff: await api.consult(handoff.id, target) };
      const body = mode() === 'queue' ? { queue: target } : { agent: target };
      if (text) body.note = text;
      return { mode: mode(), handoff: await api.transfer(handoff.id, body) };
    },
  });
}

/** A link absolute on this site: `/join/<token>` -> `https://host/join/<token>`. */
export const absoluteUrl = (url) => (typeof url === 'string' && url.startsWith('/') ? `${location.origin}${url}` : url);

async function copy(input, toast) {
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    // Older browsers or no permission: the text is selected, so the fallback copies the selection.
    document.execCommand?.('copy');
  }
  toast(t('invite.copied'));
}

/** Creates a department invite link and shows it with a copy button. `created(invite)` on success. */
export function inviteDialog(handoff, { toast, created }) {
  const department = h('input', { name: 'department', maxlength: 200, autocomplete: 'off' });
  const result = h('div', { class: 'invite-result', hidden: true });
  const privately = h('input', { type: 'checkbox', name: 'private', id: uid('private') });
  return modal({
    title: t('invite.title'),
    body: [
      field(t('invite.department'), department),
      h('label', { class: 'choice', for: privately.id }, privately, t('invite.private')),
      result,
    ],
    confirmLabel: t('invite.create'),
    cancelLabel: t('dialog.close'),
    confirm: async () => {
      const name = department.value.trim();
      if (!name) {
        department.focus();
        return false;
      }
      const invite = await api.invite(handoff.id, name, privately.checked);
      const url = h('input', { class: 'invite-url', readOnly: true, value: absoluteUrl(invite?.url ?? '') });
      result.replaceChildren(
        field(t('invite.url'), url, {
          after: h('button', { type: 'button', class: 'secondary', onclick: () => copy(url, toast) }, t('invite.copy')),
        }),
        invite?.expiresAt
          ? h('p', { class: 'hint' }, t('invite.expires', { at: formatDateTime(invite.expiresAt) }))
          : null,
      );
      result.hidden = false;
      url.select();
      created?.(invite);
      // The dialog stays open: the link is still to be copied.
      return false;
    },
  });
}

const E164 = /^\+[1-9]\d{6,14}$/;

/** Phone calls: dials the department (and, if given, the agent's own phone) into the call's conference. */
export function conferenceDialog(handoff, { toast }) {
  const department = h('input', {
    name: 'department',
    type: 'tel',
    placeholder: '+8657188880000',
    autocomplete: 'off',
  });
  const agent = h('input', { name: 'agentPhone', type: 'tel', placeholder: '+86…', autocomplete: 'off' });
  return modal({
    title: t('conference.title'),
    body: [
      field(t('conference.department'), department),
      field(t('conference.agent'), agent),
      h('p', { class: 'hint' }, t('conference.hint')),
    ],
    confirmLabel: t('conference.dial'),
    confirm: async () => {
      const number = department.value.trim();
      const mine = agent.value.trim();
      if (!E164.test(number) || (mine && !E164.test(mine))) throw new Error(t('conference.badNumber'));
      const result = await api.conference(handoff.id, number, mine || undefined);
      toast(t('conference.dialled'));
      return result;
    },
  });
}

/**
 * A citizen's message becomes an eval case: the article that should answer it (the bot's best hit to start
 * with), or none when the knowledge base has no answer.
 */
export function evalCaseDialog(handoff, activity, suggested, toast) {
  const expect = h('input', { name: 'expect', autocomplete: 'off', spellcheck: 'false', value: suggested ?? 'none' });
  return modal({
    title: t('evalCase.title'),
    body: [
      h('blockquote', { class: 'eval-question' }, String(activity.text ?? '')),
      field(t('evalCase.expect'), expect, { hint: t('evalCase.hint') }),
    ],
    confirmLabel: t('evalCase.add'),
    confirm: async () => {
      const value = expect.value.trim();
      if (!value) {
        expect.focus();
        return false;
      }
      const created = await api.evalCase(handoff.conversationId, activity.id, value);
      toast(t('evalCase.added'));
      return created;
    },
  });
}

export const DISPOSITIONS = ['resolved', 'ticket', 'transferred_out', 'citizen_left', 'invalid'];

/** Closes the conversation with a disposition. Resolves to the handoff, or null when cancelled. */
export function closeDialog(handoff, { hasTicket }) {
  const disposition = h(
    'select',
    { name: 'disposition' },
    DISPOSITIONS.map((d) => option(d, label('disposition', d), d === (hasTicket ? 'ticket' : 'resolved'))),
  );
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
  return modal({
    title: t('close.title'),
    body: [field(t('close.disposition'), disposition), field(t('dialog.note'), note)],
    confirm: () => api.close(handoff.id, disposition.value, note.value.trim()),
  });
}
