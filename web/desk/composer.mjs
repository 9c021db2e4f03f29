/* global setTimeout, clearTimeout */
// The reply box (Enter sends, Shift+Enter is a new line; typing is signalled at most every 2 s) and the
// typing indicator for the other party.
import { h, enterSubmits, field, submitText } from '/common/dom.mjs';
import { describeError, t } from './i18n.mjs';

const TYPING_EVERY = 2000;
const TYPING_SHOWN = 3000;

/** `send(text)` posts the reply (throws on failure); `typing()` tells the citizen the agent is typing. */
export function renderComposer({ send, typing, toast }) {
  const textarea = h('textarea', { name: 'reply', rows: 3, maxlength: 4000 });
  const button = h('button', { type: 'submit', class: 'primary' }, t('conv.send'));
  let lastTyping = 0;

  const form = h(
    'form',
    {
      class: 'composer',
      onsubmit: submitText(textarea, button, async (text) => {
        try {
          await send(text);
          textarea.value = '';
          lastTyping = 0;
        } catch (e) {
          toast(describeError(e));
        }
        textarea.focus();
      }),
    },
    field(t('conv.reply'), textarea, { hint: t('conv.replyHint'), wide: true }),
    h('div', { class: 'composer-actions' }, button),
  );

  enterSubmits(textarea, form);
  textarea.addEventListener('input', () => {
    const now = Date.now();
    if (!textarea.value.trim() || now - lastTyping < TYPING_EVERY) return;
    lastTyping = now;
    Promise.resolve()
      .then(typing)
      .catch(() => {});
  });

  return {
    el: form,
    /** Puts text (a knowledge answer) into the box without sending it. */
    insert(text) {
      textarea.value = textarea.value.trim() ? `${textarea.value.replace(/\s+$/, '')}\n${text}` : text;
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    },
  };
}

/** "对方正在输入…", shown for 3 s after each typing signal. */
export function typingIndicator() {
  const el = h('p', { class: 'typing', 'aria-live': 'polite', hidden: true }, t('conv.typing'));
  let timer;
  return {
    el,
    show() {
      el.hidden = false;
      clearTimeout(timer);
      timer = setTimeout(() => (el.hidden = true), TYPING_SHOWN);
    },
    hide() {
      clearTimeout(timer);
      el.hidden = true;
    },
  };
}
