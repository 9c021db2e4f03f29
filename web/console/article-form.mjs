// The article's fields as a form, with client-side checks and a live preview of what citizens see.
import { h, field, replace, safeUrl, uid } from '/common/dom.mjs';
import { t } from './i18n.mjs';
import { knownRegions } from './article-list.mjs';

/** One SMS in UCS-2 (Chinese) carries 70 characters; a longer text goes out in 67-character parts. */
const SMS_SINGLE = 70;
const SMS_PART = 67;
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,79}$/;

const chars = (text) => [...text].length;
const smsParts = (length) => (length <= SMS_SINGLE ? 1 : Math.ceil(length / SMS_PART));
const splitList = (text) =>
  text
    .split(/[\s、,，;；]+/)
    .map((s) => s.trim())
    .filter(Boolean);
const today = () => new Date().toISOString().slice(0, 10);

/**
 * `articleForm(ctx, { isNew })` → { element, preview, fill(content), read(), validate(), showErrors(),
 * setReadOnly(), isDirty(), markClean() }.
 */
export function articleForm(ctx, { isNew = false } = {}) {
  const input = (name, props = {}) => h('input', { name, autocomplete: 'off', ...props });
  const area = (name, props = {}) => h('textarea', { name, ...props });
  const els = {
    id: isNew
      ? input('id', { required: true, maxlength: 80, spellcheck: 'false', placeholder: 'social-insurance-101' })
      : null,
    title: input('title', { required: true, maxlength: 200 }),
    category: h(
      'select',
      { name: 'category', required: true },
      h('option', { value: '' }, t('form.chooseCategory')),
      ctx.categories.map((c) => h('option', { value: c.code }, c.name)),
    ),
    question: input('question', { required: true, maxlength: 500 }),
    variants: area('variants', { rows: 4 }),
    answerShort: area('answerShort', { required: true, rows: 3, maxlength: 300 }),
    answerFull: area('answerFull', { required: true, rows: 9, maxlength: 20000 }),
    department: input('department', { required: true, maxlength: 100 }),
    tags: input('tags'),
    region: input('region', { required: true, maxlength: 50, list: 'form-regions' }),
    effectiveFrom: input('effectiveFrom', { type: 'date', required: true }),
    expiresAt: input('expiresAt', { type: 'date' }),
    sourceTitle: input('sourceTitle', { maxlength: 300 }),
    sourceUrl: input('sourceUrl', { type: 'url', maxlength: 2000, placeholder: 'https://' }),
  };
  const errors = {};
  const counter = h('p', { class: 'counter', 'aria-live': 'polite' });
  const wrap = (name, options) => {
    errors[name] = h('p', { class: 'field-error', id: uid('err') });
    const after = name === 'answerShort' ? [counter, errors[name]] : errors[name];
    return field(t(`field.${name}`), els[name], { ...options, after });
  };
  const regions = h(
    'datalist',
    { id: 'form-regions' },
    [...knownRegions].map((r) => h('option', { value: r })),
  );

  const element = h(
    'div',
    { class: 'article-form' },
    h(
      'fieldset',
      {},
      h('legend', {}, t('form.basics')),
      isNew ? wrap('id', { hint: t('form.idHint') }) : null,
      wrap('title', { wide: true }),
      wrap('category'),
      wrap('department'),
      wrap('question', { wide: true }),
      wrap('variants', { wide: true, hint: t('form.variantsHint') }),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('form.answers')),
      wrap('answerShort', { wide: true, hint: t('form.answerShortHint') }),
      wrap('answerFull', { wide: true, hint: t('form.answerFullHint') }),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('form.scope')),
      wrap('region', { hint: t('form.regionHint') }),
      regions,
      wrap('tags', { hint: t('form.tagsHint') }),
      wrap('effectiveFrom'),
      wrap('expiresAt', { hint: t('form.expiresHint') }),
      wrap('sourceTitle', { wide: true }),
      wrap('sourceUrl', { wide: true }),
    ),
  );

  const preview = h('section', { class: 'preview', 'aria-labelledby': 'preview-title' });

  function read() {
    const v = (name) => els[name].value.trim();
    const sourceTitle = v('sourceTitle');
    return {
      ...(isNew ? { id: v('id') } : {}),
      category: els.category.value,
      title: v('title'),
      question: v('question'),
      variants: els.variants.value
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
      answerShort: v('answerShort'),
      answerFull: els.answerFull.value.trim(),
      department: v('department'),
      tags: splitList(els.tags.value),
      region: v('region'),
      effectiveFrom: v('effectiveFrom'),
      expiresAt: v('expiresAt') || null,
      source: sourceTitle || v('sourceUrl') ? { title: sourceTitle, url: v('sourceUrl') || null } : null,
    };
  }

  function fill(content) {
    for (const name of ['title', 'question', 'answerShort', 'answerFull', 'department', 'region', 'effectiveFrom'])
      els[name].value = content[name] ?? '';
    if (isNew) els.id.value = content.id ?? '';
    els.category.value = content.category ?? '';
    els.variants.value = (content.variants ?? []).join('\n');
    els.tags.value = (content.tags ?? []).join('、');
    els.expiresAt.value = content.expiresAt ?? '';
    els.sourceTitle.value = content.source?.title ?? '';
    els.sourceUrl.value = content.source?.url ?? '';
    markClean();
    update();
  }

  /** Field name → message for everything the server would refuse that the browser can tell. */
  function validate() {
    const c = read();
    const problems = {};
    const required = [
      'title',
      'category',
      'question',
      'answerShort',
      'answerFull',
      'department',
      'region',
      'effectiveFrom',
    ];
    if (isNew) required.unshift('id');
    for (const name of required) if (!c[name]) problems[name] = t('form.required');
    if (isNew && c.id && !ID_PATTERN.test(c.id)) problems.id = t('form.idInvalid');
    if (c.expiresAt && c.effectiveFrom && c.expiresAt <= c.effectiveFrom) problems.expiresAt = t('form.expiresAfter');
    if (c.source && !c.source.title) problems.sourceTitle = t('form.sourceTitleNeeded');
    if (c.source?.url && !safeUrl(c.source.url)) problems.sourceUrl = t('form.urlInvalid');
    return problems;
  }

  function showErrors(problems) {
    let first;
    for (const [name, el] of Object.entries(errors)) {
      el.textContent = problems[name] ?? '';
      if (problems[name]) {
        els[name].setAttribute('aria-invalid', 'true');
        els[name].setAttribute('aria-errormessage', el.id);
        first ??= els[name];
      } else els[name].removeAttribute('aria-invalid');
    }
    first?.focus();
    return !first;
  }

  let clean = '';
  function markClean() {
    clean = JSON.stringify(read());
  }

  function update() {
    const c = read();
    const length = chars(c.answerShort);
    const over = length > SMS_SINGLE;
    counter.classList.toggle('warn', over);
    replace(
      counter,
      t('form.count', { count: length }),
      over ? h('strong', {}, ' · ', t('form.smsWarning', { limit: SMS_SINGLE, parts: smsParts(length) })) : null,
    );
    renderPreview(preview, c);
  }
  element.addEventListener('input', update);
  element.addEventListener('change', update);

  return {
    element,
    preview,
    fill,
    read,
    validate,
    showErrors,
    isDirty: () => JSON.stringify(read()) !== clean,
    markClean,
    setReadOnly(readOnly) {
      for (const el of Object.values(els)) {
        if (!el) continue;
        if (el.tagName === 'SELECT') el.disabled = readOnly;
        else el.readOnly = readOnly;
      }
    },
    /** Puts a server message next to the field it names, when it names one. */
    showServerError(message) {
      const name = Object.keys(errors).find((n) => new RegExp(`(^|[/ ])${n}\\b`).test(message));
      if (name) showErrors({ [name]: message });
    },
  };
}

/** What a citizen sees: the web chat answer (full) and the SMS (short), each with the source line. */
function renderPreview(preview, c) {
  const source = t('preview.source', { source: c.source?.title || c.department || '…' });
  const sms = `${c.answerShort}${source}`;
  const smsLength = c.answerShort ? chars(sms) : 0;
  const link = safeUrl(c.source?.url);
  replace(
    preview,
    h('h2', { id: 'preview-title' }, t('preview.title')),
    h(
      'figure',
      { class: 'chat-preview' },
      h('figcaption', {}, t('preview.web')),
      h(
        'div',
        { class: 'chat' },
        h('div', { class: 'chat-head' }, h('span', { class: 'logo small' }, '12345'), t('preview.chatTitle')),
        c.question ? h('p', { class: 'bubble user' }, c.question) : null,
        h(
          'div',
          { class: 'bubble bot' },
          c.answerFull
            ? c.answerFull.split(/\n+/).map((para, i, all) => h('p', {}, para, i === all.length - 1 ? source : null))
            : h('p', { class: 'placeholder' }, t('preview.emptyFull')),
          link ? h('a', { href: link, target: '_blank', rel: 'noopener noreferrer' }, c.source.title || link) : null,
        ),
        h(
          'div',
          { class: 'bubble bot' },
          h('p', {}, t('preview.askHelpful')),
          h(
            'span',
            { class: 'chips' },
            h('span', { class: 'chip' }, t('preview.yes')),
            h('span', { class: 'chip' }, t('preview.no')),
          ),
        ),
      ),
    ),
    h(
      'figure',
      { class: 'sms-preview' },
      h('figcaption', {}, t('preview.sms')),
      h(
        'div',
        { class: 'phone' },
        h('p', { class: 'sms-from' }, '12345'),
        h(
          'p',
          { class: 'bubble sms' },
          c.answerShort ? sms : h('span', { class: 'placeholder' }, t('preview.emptyShort')),
        ),
        h(
          'p',
          { class: ['sms-meta', smsLength > SMS_SINGLE && 'warn'] },
          t('preview.smsMeta', { count: smsLength, parts: smsParts(smsLength) }),
        ),
      ),
    ),
  );
}

export const newArticleDefaults = () => ({ region: '全市', effectiveFrom: today(), variants: [], tags: [] });
