/* global document */
// Modal confirmations built on <dialog> (focus is trapped, Esc cancels): never window.confirm/prompt.
import { h, field } from '/common/dom.mjs';
import { t } from './i18n.mjs';

/**
 * Asks to confirm an action, optionally with a note. Resolves to `{ note }` when confirmed, or null.
 * `note: 'required'` insists on a non-empty note (a rejection needs a reason).
 */
export function confirmDialog({ title, message, confirmLabel, danger = false, note, noteLabel }) {
  return new Promise((resolve) => {
    const noteInput = note
      ? h('textarea', { name: 'note', rows: 3, maxlength: 2000, required: note === 'required' })
      : null;
    const error = h('p', { class: 'form-error', role: 'alert' });
    const dialog = h(
      'dialog',
      { class: 'modal', 'aria-labelledby': 'modal-title' },
      h(
        'form',
        {
          method: 'dialog',
          onsubmit: (event) => {
            if (event.submitter?.value !== 'confirm') return;
            if (noteInput?.required && !noteInput.value.trim()) {
              event.preventDefault();
              error.textContent = t('dialog.noteRequired');
              noteInput.focus();
            }
          },
        },
        h('h2', { id: 'modal-title' }, title),
        message ? h('p', {}, message) : null,
        noteInput ? field(noteLabel ?? t('dialog.note'), noteInput) : null,
        error,
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            { type: 'submit', value: 'cancel', class: 'secondary', formnovalidate: true },
            t('dialog.cancel'),
          ),
          h(
            'button',
            { type: 'submit', value: 'confirm', class: danger ? 'danger' : 'primary' },
            confirmLabel ?? t('dialog.ok'),
          ),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm' ? { note: noteInput?.value.trim() ?? '' } : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    (noteInput ?? dialog.querySelector('button.secondary')).focus();
  });
}
