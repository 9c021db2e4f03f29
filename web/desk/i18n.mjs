/* global document */
// Every string the agent desk shows, in Simplified Chinese (the default) and English, chosen by the
// browser's language.
import { browserLocale, localized } from '/common/i18n.mjs';
import { en } from './i18n-en.mjs';
import { zh } from './i18n-zh.mjs';

const locale = browserLocale();
document.documentElement.lang = locale;

export const getLocale = () => locale;

export const { t, formatDateTime, formatTime, describeError } = localized({ 'zh-CN': zh, en }, getLocale);

/** A code's label (`channel.wechat`), or the code itself when there is no label for it. */
export const label = (prefix, code) => (code == null || code === '' ? '—' : t(`${prefix}.${code}`, {}, String(code)));

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
