/* global URLSearchParams */
// The filter bar (筛选): date range with quick picks, granularity, channel, demand type, category and district.
// The filters live in the page's query string, so a view can be shared or bookmarked; an absent date range
// is the server's default (the last 30 days).
import { h, field, replace } from '/common/dom.mjs';
import { t } from './i18n.mjs';

export const GRANULARITIES = ['day', 'week', 'month'];
const DIMENSIONS = ['channel', 'demandType', 'category', 'district'];
const KEYS = ['from', 'to', 'granularity', ...DIMENSIONS];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The filters a query string holds; anything malformed is left out (the server's default applies). */
export function readFilters(search) {
  const query = new URLSearchParams(search);
  const filters = {};
  for (const key of KEYS) {
    const value = query.get(key)?.trim();
    if (!value) continue;
    if ((key === 'from' || key === 'to') && !DAY.test(value)) continue;
    if (key === 'granularity' && !GRANULARITIES.includes(value)) continue;
    filters[key] = value;
  }
  return filters;
}

/** The query string (`?…`, or empty) of the filters, in a stable order. */
export function filtersSearch(filters) {
  const query = new URLSearchParams();
  for (const key of KEYS) if (filters[key]) query.set(key, filters[key]);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** Today in the city's time zone (YYYY-MM-DD): the days the server counts in, whatever the browser's zone. */
export function cityToday(timeZone, now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** A calendar day `days` away from `day` (YYYY-MM-DD). */
export function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const monthStart = (day) => `${day.slice(0, 8)}01`;

/** The quick picks' ranges, as of `today`. */
export function quickRanges(today) {
  const lastMonthEnd = addDays(monthStart(today), -1);
  return {
    last7: { from: addDays(today, -6), to: today },
    last30: { from: addDays(today, -29), to: today },
    thisMonth: { from: monthStart(today), to: today },
    lastMonth: { from: monthStart(lastMonthEnd), to: lastMonthEnd },
  };
}

/**
 * The filter bar. `onChange(filters)` runs with the next filters whenever one is changed. `set(filters,
 * resolved)` shows the given filters, with the date range the server resolved (its default) where the
 * filters have none.
 */
export function renderFilterBar({ dimensions, timeZone, onChange }) {
  let filters = {};
  let resolved = {};
  const error = h('p', { class: 'form-error', role: 'alert' });

  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });
  const changeDates = () => {
    error.textContent = '';
    if (!from.value || !to.value) return;
    if (from.value > to.value) {
      error.textContent = t('filters.badRange');
      return;
    }
    onChange({ ...filters, from: from.value, to: to.value });
  };
  from.addEventListener('change', changeDates);
  to.addEventListener('change', changeDates);

  const quick = {};
  for (const name of ['last7', 'last30', 'thisMonth', 'lastMonth']) {
    quick[name] = h(
      'button',
      {
        type: 'button',
        class: 'chip',
        onclick: () => {
          error.textContent = '';
          onChange({ ...filters, ...quickRanges(cityToday(timeZone))[name] });
        },
      },
      t(`filters.${name}`),
    );
  }

  const granularity = {};
  for (const g of GRANULARITIES) {
    granularity[g] = h(
      'button',
      { type: 'button', class: 'segment', onclick: () => onChange({ ...filters, granularity: g }) },
      t(`granularity.${g}`),
    );
  }

  const options = {
    channel: (dimensions.channels ?? []).map((c) => ({ value: c.key, text: c.name })),
    demandType: (dimensions.demandTypes ?? []).map((d) => ({ value: d.key, text: d.name })),
    // Middle classes are indented under their major class.
    category: (dimensions.categories ?? []).map((c) => ({
      value: c.code,
      text: `${c.level === 'middle' ? '\u3000' : ''}${c.code} ${c.name}`,
    })),
    district: (dimensions.districts ?? []).map((d) => ({ value: d, text: d })),
  };
  const selects = {};
  for (const key of DIMENSIONS) {
    selects[key] = h('select', {
      name: key,
      onchange: () => onChange({ ...filters, [key]: selects[key].value || undefined }),
    });
  }

  function fillSelect(key) {
    const select = selects[key];
    const current = filters[key] ?? '';
    const known = options[key].some((o) => o.value === current);
    replace(
      select,
      h('option', { value: '' }, t('filters.all')),
      options[key].map((o) => h('option', { value: o.value }, o.text)),
      // A shared link may name a value this list no longer has: show it rather than silently dropping it.
      current && !known ? h('option', { value: current }, current) : null,
    );
    select.value = current;
  }

  const el = h(
    'form',
    { class: 'filter-bar', role: 'search', 'aria-label': t('filters.label'), onsubmit: (e) => e.preventDefault() },
    h(
      'div',
      { class: 'filter-dates' },
      field(t('filters.from'), from),
      field(t('filters.to'), to),
      h('div', { class: 'chips', role: 'group', 'aria-label': t('filters.quick') }, Object.values(quick)),
    ),
    h(
      'div',
      { class: 'filter-row' },
      h(
        'div',
        { class: 'field' },
        h('span', { class: 'field-label', id: 'granularity-label' }, t('filters.granularity')),
        h(
          'div',
          { class: 'segments', role: 'group', 'aria-labelledby': 'granularity-label' },
          Object.values(granularity),
        ),
      ),
      DIMENSIONS.map((key) => field(t(`filters.${key}`), selects[key])),
      h('button', { type: 'button', class: 'secondary reset', onclick: () => onChange({}) }, t('filters.reset')),
    ),
    error,
  );

  function set(next, serverResolved = resolved) {
    filters = { ...next };
    resolved = serverResolved ?? {};
    from.value = filters.from ?? resolved.from ?? '';
    to.value = filters.to ?? resolved.to ?? '';
    const ranges = quickRanges(cityToday(timeZone));
    for (const [name, button] of Object.entries(quick)) {
      const range = ranges[name];
      button.setAttribute('aria-pressed', String(range.from === from.value && range.to === to.value));
    }
    const current = filters.granularity ?? resolved.granularity ?? 'day';
    for (const [g, button] of Object.entries(granularity)) button.setAttribute('aria-pressed', String(g === current));
    for (const key of DIMENSIONS) fillSelect(key);
  }

  return { el, set };
}
