/* global document, Node, setTimeout, clearTimeout */
// Builds DOM from plain data, for the console, the desk and the join page. Article text and conversation
// text are untrusted: they only ever become text nodes or attribute values, never markup (no innerHTML
// anywhere in these pages).

/** Properties set on the element itself rather than as attributes. */
const PROPERTIES = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'required', 'readOnly', 'open']);

/**
 * `h('button', { class: 'primary', onclick }, '保存')`: an element with attributes, event listeners
 * (`on…` keys) and children (nodes, strings, numbers, arrays; null/undefined/false are skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's content with the given children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let ids = 0;
/** A unique id for pairing labels with inputs. */
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

/** A labelled form control: `<div class="field"><label for>…</label>control hint</div>`. */
export function field(label, control, { hint, wide, after } = {}) {
  control.id ||= uid();
  const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h(
    'div',
    { class: ['field', wide && 'wide'] },
    // The required mark is CSS (label.required::after), so the label's text stays the field's name.
    h('label', { for: control.id, class: control.required ? 'required' : null }, label),
    control,
    after,
    hintEl,
  );
}

/** Only http(s) links from data are made clickable. */
export const safeUrl = (url) => (typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null);

/**
 * A submit handler for a form that sends one text: the page does not reload, blank text and a submit while
 * the last one is still pending do nothing, and `button` is disabled until `send(text)` settles. `send`
 * handles its own errors.
 */
export function submitText(input, button, send) {
  return async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || button.disabled) return;
    button.disabled = true;
    try {
      await send(text);
    } finally {
      button.disabled = false;
    }
  };
}

/** Enter in `textarea` submits `form`, Shift+Enter starts a new line. */
export function enterSubmits(textarea, form) {
  textarea.addEventListener('keydown', (event) => {
    // An IME composing Chinese confirms its candidate with Enter: that Enter is not a send.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    form.requestSubmit();
  });
}

/** A toast on `element` (a polite live region): each message shows for `ms`, replacing the one before. */
export function toaster(element, ms) {
  let timer;
  return (text) => {
    element.textContent = text;
    element.classList.add('shown');
    clearTimeout(timer);
    timer = setTimeout(() => element.classList.remove('shown'), ms);
  };
}
