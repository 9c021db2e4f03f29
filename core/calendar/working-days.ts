import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

const DEFAULT_FILE = new URL('./holidays-cn.yaml', import.meta.url);
const DAY_MS = 86_400_000;
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A calendar day counted from 1970-01-01, so the next day is `day + 1` whatever the time zone. */
type Day = number;

/** Raised when a holiday file cannot be used. Lists every problem found, each naming its year and entry. */
export class CalendarFileError extends Error {
  readonly code = 'E_CALENDAR_FILE';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`Invalid holiday file ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
    this.name = 'CalendarFileError';
  }
}

export interface WorkingCalendarOptions {
  /** IANA time zone whose calendar days deadlines are counted in. Default: `Asia/Shanghai`. */
  timeZone?: string;
  /**
   * Called the first time a day of a year the holiday file does not cover is looked at, once per year.
   * Such years are counted Monday to Friday, which is wrong around their holidays: worth a warning.
   */
  onUncoveredYear?: (year: number) => void;
}

function parseDay(text: string): Day | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, date] = match.slice(1).map(Number) as [number, number, number];
  const time = Date.UTC(year, month - 1, date);
  // Date.UTC rolls 2026-02-30 over into March: a real date survives the round trip.
  return formatDay(time / DAY_MS) === text ? time / DAY_MS : undefined;
}

const formatDay = (day: Day): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const weekdayOf = (day: Day): number => new Date(day * DAY_MS).getUTCDay();
const yearOf = (day: Day): number => new Date(day * DAY_MS).getUTCFullYear();
function isWeekend(day: Day): boolean {
  const weekday = weekdayOf(day);
  return weekday === 0 || weekday === 6;
}

const date = z.string({ error: 'must be a date written YYYY-MM-DD' }).refine((text) => parseDay(text) !== undefined, {
  error: (issue) => `${String(issue.input)} is not a date written YYYY-MM-DD`,
});

const holidayFileSchema = z.strictObject({
  years: z
    .array(
      z.strictObject({
        year: z.int(),
        notice: z.string().trim().min(1),
        document: z.string().trim().min(1).optional(),
        holidays: z
          .array(
            z.strictObject({
              name: z.string().trim().min(1),
              from: date,
              to: date.optional(),
              makeupWorkdays: z.array(date).default([]),
            }),
          )
          .min(1),
      }),
    )
    .min(1),
});

type HolidayFile = z.output<typeof holidayFileSchema>;

const field = (value: unknown, key: PropertyKey): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;

/** Where a schema issue is, named by year and holiday name (as an administrator reads the file), not list index. */
function locate(raw: unknown, path: readonly PropertyKey[]): string {
  const [top, yearIndex, ...rest] = path;
  if (top !== 'years' || typeof yearIndex !== 'number') return path.map(String).join('.') || 'file';
  const entry = field(field(raw, 'years'), yearIndex);
  const year = field(entry, 'year');
  let at = typeof year === 'number' ? String(year) : `years[${yearIndex}]`;
  if (rest[0] === 'holidays' && typeof rest[1] === 'number') {
    const name = field(field(field(entry, 'holidays'), rest[1]), 'name');
    at += ' ' + (typeof name === 'string' && name.trim() ? name : `holidays[${rest[1]}]`);
    rest.splice(0, 2);
  }
  const inside = rest.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}${text && '.'}${String(key)}`),
    '',
  );
  return inside ? `${at} ${inside}` : at;
}

/** The rules a schema cannot express: each date in its year, each day off once, make-up days on weekends. */
function dateProblems(file: HolidayFile): string[] {
  const problems: string[] = [];
  const entries = file.years.filter((entry, i) => file.years.findIndex((e) => e.year === entry.year) === i);
  for (const { year } of file.years.filter((entry) => !entries.includes(entry))) {
    problems.push(`${year}: the year is listed more than once`);
  }
  const holidayOf = new Map<Day, string>();
  for (const { year, holidays } of entries) {
    for (const holiday of holidays) {
      const at = `${year} ${holiday.name}`;
      const to = holiday.to ?? holiday.from;
      const outside = [holiday.from, to, ...holiday.makeupWorkdays].filter((d) => !d.startsWith(`${year}-`));
      for (const d of outside) problems.push(`${at}: ${d} is not in ${year}`);
      if (to < holiday.from) problems.push(`${at}: to ${to} is before from ${holiday.from}`);
      if (outside.length || to < holiday.from) continue;
      for (let day = parseDay(holiday.from)!; day <= parseDay(to)!; day++) {
        const other = holidayOf.get(day);
        if (other) problems.push(`${at}: ${formatDay(day)} is already a holiday of ${other}`);
        else holidayOf.set(day, at);
      }
    }
  }
  // A second pass, so a make-up day is checked against the holidays listed after it too.
  for (const { year, holidays } of entries) {
    for (const holiday of holidays) {
      for (const text of holiday.makeupWorkdays) {
        const day = parseDay(text)!;
        const at = `${year} ${holiday.name}`;
        if (!isWeekend(day)) {
          problems.push(`${at}: make-up working day ${text} is a ${WEEKDAY_NAMES[weekdayOf(day)]}, not a weekend day`);
        }
        const other = holidayOf.get(day);
        if (other) problems.push(`${at}: make-up working day ${text} is also a holiday of ${other}`);
      }
    }
  }
  return problems;
}

/**
 * The city's working days: Monday to Friday unless a holiday, Saturday and Sunday only when a make-up
 * working day (调休上班日), from a holiday file such as the bundled `holidays-cn.yaml`. Years the file does
 * not cover are counted Monday to Friday and reported through `onUncoveredYear`.
 *
 * Instants are placed on the calendar in `timeZone`, never in the machine's time zone.
 */
export class WorkingCalendar {
  readonly timeZone: string;
  /** The years the holiday file lists, ascending. */
  readonly coveredYears: readonly number[];
  private readonly holidays = new Set<Day>();
  private readonly makeupWorkdays = new Set<Day>();
  private readonly covered: ReadonlySet<number>;
  private readonly reported = new Set<number>();
  private readonly onUncoveredYear: ((year: number) => void) | undefined;
  private readonly clock: Intl.DateTimeFormat;

  private constructor(file: HolidayFile, options: WorkingCalendarOptions) {
    this.timeZone = options.timeZone ?? 'Asia/Shanghai';
    this.onUncoveredYear = options.onUncoveredYear;
    // Read part by part (formatToParts), so only the numbers matter; h23 keeps midnight as 00, not 24.
    this.clock = new Intl.DateTimeFormat('en-CA', {
      timeZone: this.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    this.covered = new Set(file.years.map((y) => y.year));
    this.coveredYears = Object.freeze([...this.covered].sort((a, b) => a - b));
    for (const { from, to = from, makeupWorkdays } of file.years.flatMap((y) => y.holidays)) {
      for (let day = parseDay(from)!; day <= parseDay(to)!; day++) this.holidays.add(day);
      for (const text of makeupWorkdays) this.makeupWorkdays.add(parseDay(text)!);
    }
  }

  /** Reads a holiday file; by default the national one bundled next to this module. */
  static async load(file: string | URL = DEFAULT_FILE, options: WorkingCalendarOptions = {}): Promise<WorkingCalendar> {
    const source = file instanceof URL ? fileURLToPath(file) : file;
    return WorkingCalendar.fromYaml(await readFile(file, 'utf8'), source, options);
  }

  /**
   * Builds a calendar from the text of a holiday file. Throws `CalendarFileError` listing every problem;
   * `source` names the file in its message.
   */
  static fromYaml(text: string, source = 'holiday file', options: WorkingCalendarOptions = {}): WorkingCalendar {
    let raw: unknown;
    try {
      raw = parse(text);
    } catch (error) {
      throw new CalendarFileError(source, [error instanceof Error ? error.message : String(error)], { cause: error });
    }
    const parsed = holidayFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new CalendarFileError(
        source,
        parsed.error.issues.map((issue) => `${locate(raw, issue.path)}: ${issue.message}`),
      );
    }
    const problems = dateProblems(parsed.data);
    if (problems.length) throw new CalendarFileError(source, problems);
    return new WorkingCalendar(parsed.data, options);
  }

  /** Whether a calendar day, written YYYY-MM-DD, is a working day. */
  isWorkingDay(day: string): boolean {
    const parsed = parseDay(day);
    if (parsed === undefined) throw new RangeError(`Not a date written YYYY-MM-DD: ${day}`);
    return this.isWorking(parsed);
  }

  /**
   * The deadline for something registered at `from` that must be done within `days` working days
   * ("N个工作日内办结"). Counting starts on the working day after the day of registration, which never
   * counts, even when registered at 00:01: the deadline is the end (23:59:59.999 in `timeZone`) of the
   * `days`-th working day after the registration day. With `days` 0 it is the end of the registration day
   * when that is a working day, else of the next working day.
   */
  addWorkingDays(from: Date, days: number): Date {
    if (!Number.isInteger(days) || days < 0) throw new RangeError(`days must be a whole number >= 0, got ${days}`);
    let day = this.dayOf(from);
    if (days === 0) {
      while (!this.isWorking(day)) day++;
    } else {
      for (let left = days; left > 0;) if (this.isWorking(++day)) left--;
    }
    return new Date(this.startOf(day + 1) - 1);
  }

  /**
   * The working days after `from`'s day up to and including `to`'s day, in `timeZone`: how many working
   * days a ticket took, or has left until its deadline. Negative when `to` is on an earlier day than
   * `from`, so a ticket past its deadline has a negative number of days left.
   */
  workingDaysBetween(from: Date, to: Date): number {
    const start = this.dayOf(from);
    const end = this.dayOf(to);
    const [first, last] = start <= end ? [start, end] : [end, start];
    let count = 0;
    for (let day = first + 1; day <= last; day++) if (this.isWorking(day)) count++;
    return start <= end ? count : -count;
  }

  private isWorking(day: Day): boolean {
    if (this.holidays.has(day)) return false;
    if (this.makeupWorkdays.has(day)) return true;
    const year = yearOf(day);
    if (!this.covered.has(year) && !this.reported.has(year)) {
      this.reported.add(year);
      this.onUncoveredYear?.(year);
    }
    return !isWeekend(day);
  }

  /** The wall-clock time in `timeZone` at an instant, written as if it were a UTC time, in ms. */
  private wallClock(instant: number): number {
    const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
    for (const { type, value } of this.clock.formatToParts(instant)) parts[type] = Number(value);
    const { year = NaN, month = NaN, day = NaN, hour = NaN, minute = NaN, second = NaN } = parts;
    return Date.UTC(year, month - 1, day, hour, minute, second);
  }

  private dayOf(instant: Date): Day {
    if (Number.isNaN(instant.getTime())) throw new RangeError('Invalid Date');
    return Math.floor(this.wallClock(instant.getTime()) / DAY_MS);
  }

  /** The instant a day starts in `timeZone`. */
  private startOf(day: Day): number {
    const midnight = day * DAY_MS;
    // The offset at a first guess; asked again at the result in case it changes in between (summer time).
    const guess = midnight - (this.wallClock(midnight) - midnight);
    return midnight - (this.wallClock(guess) - guess);
  }
}
