/* global navigator */
// What the console, the desk, the dashboard and the join page share about language: Simplified Chinese by default,
// English when chosen; string tables with `{name}` placeholders; dates and times; API errors as sentences.
// Each page keeps its own strings and its own way of choosing the language.

/** The browser's language: English when it asks for English, Simplified Chinese otherwise. */
export function browserLocale() {
  const language = typeof navigator === 'undefined' ? '' : (navigator.language ?? '');
  return /^en\b/i.test(language) ? 'en' : 'zh-CN';
}

/** The sign-in form's Chinese strings, the same on every staff page (the English wording differs). */
export const SIGN_IN_ZH = {
  'signIn.username': '用户名',
  'signIn.password': '密码',
  'signIn.submit': '登录',
  'signIn.wrong': '用户名或密码错误，请重新输入。',
  'signIn.locked': '登录失败次数过多，账号已暂时锁定。请稍后再试，或请管理员解锁。',
  'signIn.expired': '登录已过期，请重新登录。',
  'signIn.signedOut': '您已退出登录。',
};

/** Ticket statuses as the desk and the dashboard name them (Chinese). */
export const TICKET_STATUS_ZH = {
  'ticketStatus.draft': '草稿',
  'ticketStatus.registered': '已登记',
  'ticketStatus.dispatched': '已派单',
  'ticketStatus.in_progress': '办理中',
  'ticketStatus.extension_requested': '申请延期',
  'ticketStatus.resolved': '已办结',
  'ticketStatus.callback': '回访中',
  'ticketStatus.closed': '已关闭',
};

/** Ticket statuses as the desk and the dashboard name them (English). */
export const TICKET_STATUS_EN = {
  'ticketStatus.draft': 'Draft',
  'ticketStatus.registered': 'Registered',
  'ticketStatus.dispatched': 'Dispatched',
  'ticketStatus.in_progress': 'In progress',
  'ticketStatus.extension_requested': 'Extension requested',
  'ticketStatus.resolved': 'Resolved',
  'ticketStatus.callback': 'Callback',
  'ticketStatus.closed': 'Closed',
};

const TIME = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/**
 * The helpers that depend on the language. `strings` maps each locale to its table (zh-CN is the default
 * and the fallback for a key English lacks); `getLocale()` tells which one is in use now.
 */
export function localized(strings, getLocale) {
  /** The string for `key` with `{name}` placeholders filled; `fallback` (or the key) when there is none. */
  function t(key, params = {}, fallback = key) {
    const text = strings[getLocale()]?.[key] ?? strings['zh-CN'][key] ?? fallback;
    return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
  }

  /** `09-05 14:03`, or with `year` `2025-09-05 14:03`; — when there is no date. */
  function formatDateTime(value, { year = false } = {}) {
    if (!value) return '—';
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    const options = { ...(year ? { year: 'numeric' } : {}), month: '2-digit', day: '2-digit', ...TIME };
    return new Intl.DateTimeFormat(getLocale(), options).format(date);
  }

  /** `14:03`; empty when there is no time. */
  function formatTime(value) {
    const date = new Date(value);
    if (!value || Number.isNaN(date.getTime())) return '';
    return new Intl.DateTimeFormat(getLocale(), TIME).format(date);
  }

  /** An API error as a sentence: what kind of refusal (`error.<status>`), then the server's own message. */
  function describeError(error) {
    if (error?.code === 'E_NETWORK') return t('error.network');
    if (!error?.status) return error?.message ?? String(error);
    const kind = t(`error.${error.status}`, {}, t('error.other'));
    const sep = getLocale() === 'en' ? ': ' : '：';
    return error.message ? `${kind}${sep}${error.message}` : kind;
  }

  return { t, formatDateTime, formatTime, describeError };
}
