/* global document */
// Every string the dashboard shows, in Simplified Chinese (the default) and English, chosen by the browser's
// language; numbers, rates, periods and durations in that language.
import { browserLocale, localized } from '/common/i18n.mjs';
import { en } from './i18n-en.mjs';
import { zh } from './i18n-zh.mjs';

const locale = browserLocale();
document.documentElement.lang = locale;

export const getLocale = () => locale;

export const { t, formatDateTime, describeError } = localized({ 'zh-CN': zh, en }, getLocale);

/** A code's label (`reason.requested`), or the code itself when there is no label for it. */
export const label = (prefix, code) => (code == null || code === '' ? '—' : t(`${prefix}.${code}`, {}, String(code)));

const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** `1,234`; — when there is no number. */
export const formatCount = (n) => (Number.isFinite(n) ? integer.format(n) : '—');

/** A rate of 0..1 as `87.5%`; — when there is none (no denominator). */
export const formatRate = (rate) =>
  rate === null || rate === undefined || !Number.isFinite(rate) ? '—' : percent.format(rate);

/**
 * A period start (YYYY-MM-DD) as its axis label: `09-05` for a day or a week (its Monday), `2025-09` for a
 * month.
 */
export function formatPeriod(day, granularity) {
  if (typeof day !== 'string') return '';
  return granularity === 'month' ? day.slice(0, 7) : day.slice(5);
}

/** Seconds as `2分15秒`; — when there are none. */
export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return t('duration.h', { h, m });
  if (m) return t('duration.m', { m, s });
  return t('duration.s', { s });
}

/** `渠道：网页`: a drill-down's extra filter in words. */
export const dimensionLabel = (key, name) => `${t(`filters.${key}`)}：${name}`;

/** `时段：2025-09-01（周）`: a drill-down's period in words. */
export const periodLabel = (day, granularity) =>
  t('drill.period', { period: t('drill.periodOf', { day, granularity: t(`granularity.${granularity}`) }) });
