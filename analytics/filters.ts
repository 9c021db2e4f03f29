import { AppError } from '../core/errors.js';
import { messagesFor } from '../assistant/messages.js';
import { GRANULARITIES, type AnalyticsFilters, type Granularity } from './types.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** The longest range one query may cover: five years of days is still a small series. */
const MAX_RANGE_DAYS = 5 * 366;
/** Without a range: the last 30 days, today included. */
const DEFAULT_RANGE_DAYS = 30;

/** Channel ids as supervisors read them. */
export const CHANNEL_NAMES: Readonly<Record<string, string>> = {
  webchat: '网页',
  wechat: '微信公众号',
  wechaty: '微信',
  wecom: '企业微信',
  sms: '短信',
  voice: '电话',
  app: 'App',
};

export const DEMAND_TYPE_NAMES: Readonly<Record<string, string>> = messagesFor('zh-CN').demandTypes;

export const channelName = (id: string) => CHANNEL_NAMES[id] ?? id;
export const demandTypeName = (key: string) => DEMAND_TYPE_NAMES[key] ?? key;

/** The query string as it arrives. */
export interface FilterQuery {
  from?: string;
  to?: string;
  granularity?: string;
  channel?: string;
  demandType?: string;
  category?: string;
  district?: string;
}

/** Calendar-day arithmetic on YYYY-MM-DD strings (UTC dates: no time zone can shift them). */
export const addDays = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

/** The city's calendar day of an instant. */
export function cityDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone }).format(at);
}

/** Checks and completes the filters; a bad value is a 400 that names it. */
export function resolveFilters(query: FilterQuery, today: string): AnalyticsFilters {
  const invalid = (field: string, message: string) => new AppError('E_VALIDATION', `${field}: ${message}`, { field });
  for (const [field, value] of [
    ['from', query.from],
    ['to', query.to],
  ] as const) {
    if (value !== undefined && (!DAY.test(value) || Number.isNaN(Date.parse(value)))) {
      throw invalid(field, 'a day as YYYY-MM-DD');
    }
  }
  const to = query.to ?? today;
  const from = query.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (from > to) throw invalid('from', `${from} is after ${to}`);
  if (daysBetween(from, to) > MAX_RANGE_DAYS) throw invalid('from', `a range of at most ${MAX_RANGE_DAYS} days`);
  const granularity = (query.granularity ?? 'day') as Granularity;
  if (!GRANULARITIES.includes(granularity)) throw invalid('granularity', `one of ${GRANULARITIES.join(', ')}`);
  const filters: AnalyticsFilters = { from, to, granularity };
  for (const key of ['channel', 'demandType', 'category', 'district'] as const) {
    const value = query[key]?.trim();
    if (!value) continue;
    if (value.length > 64) throw invalid(key, 'at most 64 characters');
    filters[key] = value;
  }
  if (filters.category !== undefined && !/^\d{2}(\.\d{2}){0,2}$/.test(filters.category)) {
    throw invalid('category', 'a taxonomy code such as 05, 05.02 or 05.02.01');
  }
  return filters;
}

/** The first day of the period a day falls in: itself, its week's Monday, or its month's first. */
export function periodStart(day: string, granularity: Granularity): string {
  if (granularity === 'day') return day;
  if (granularity === 'month') return `${day.slice(0, 7)}-01`;
  const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0
  return addDays(day, -weekday);
}

/** Every period start from the one `from` falls in to the one `to` falls in: empty periods too. */
export function periodsOf(filters: Pick<AnalyticsFilters, 'from' | 'to' | 'granularity'>): string[] {
  const periods: string[] = [];
  let day = periodStart(filters.from, filters.granularity);
  while (day <= filters.to) {
    periods.push(day);
    day = nextPeriod(day, filters.granularity);
  }
  return periods;
}

export function nextPeriod(start: string, granularity: Granularity): string {
  if (granularity === 'day') return addDays(start, 1);
  if (granularity === 'week') return addDays(start, 7);
  const [year, month] = start.split('-').map(Number) as [number, number];
  return month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
}

/** Rates are shares of a denominator; none to share: null (shown as —). */
export const rate = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
