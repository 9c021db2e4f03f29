// Form pieces the staff settings share: a group of labelled checkboxes, and a list typed as words.
import { h, uid } from '/common/dom.mjs';

/**
 * `<fieldset class="choices">` of checkboxes, each labelled with its text. `options` are `{ value, text }`;
 * those in `checked` start checked. Answers `{ el, values() }`, the values checked now, in option order.
 */
export function checkboxGroup(legend, options, { name, checked = [] } = {}) {
  const boxes = options.map(({ value }) =>
    h('input', { type: 'checkbox', name, value, id: uid(name), checked: checked.includes(value) }),
  );
  const el = h(
    'fieldset',
    { class: 'choices' },
    h('legend', {}, legend),
    boxes.map((box, i) => h('label', { class: 'choice', for: box.id }, box, options[i].text)),
  );
  return { el, values: () => boxes.filter((box) => box.checked).map((box) => box.value) };
}

/** `'category:05, category:01.05'` -> `['category:05', 'category:01.05']`: split at commas and spaces, no repeats. */
export const words = (text) => [...new Set(text.split(/[\s,，、;；]+/).filter(Boolean))];
