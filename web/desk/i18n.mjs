/* global document, navigator */
// Every string the agent desk shows, in Simplified Chinese (the default) and English, chosen by the
// browser's language.
import { en } from './i18n-en.mjs';
import { zh } from './i18n-zh.mjs';

const STRINGS = { 'zh-CN': zh, en };
const language = typeof navigator === 'undefined' ? '' : (navigator.language ?? '');
const locale = /^en\b/i.test(language) ? 'en' : 'zh-CN';
document.documentElement.lang = locale;

export const getLocale = () => locale;

/** The string for `key` with `{name}` placeholders filled; `fallback` (or the key) when there is none. */
export function t(key, params = {}, fallback = key) {
  const text = STRINGS[locale][key] ?? zh[key] ?? fallback;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** A code's label (`channel.wechat`), or the code itself when there is no label for it. */
export const label = (prefix, code) => (code == null || code === '' ? '—' : t(`${prefix}.${code}`, {}, String(code)));

export function formatDateTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale, {
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);
}

export function formatTime(value) {
  const date = new Date(value);
  if (!value || Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

/** A duration in milliseconds as `2分15秒`. */
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return t('wait.h', { h, m });
  if (m) return t('wait.m', { m, s });
  return t('wait.s', { s });
}

/** An API error as a sentence: what kind of refusal, then the server's own message. */
export function describeError(error) {
  if (error?.code === 'E_NETWORK') return t('error.network');
  if (!error?.status) return error?.message ?? String(error);
  const kind = t(`error.${error.status}`, {}, t('error.other'));
  const sep = locale === 'en' ? ': ' : '：';
  return error.message ? `${kind}${sep}${error.message}` : kind;
}
