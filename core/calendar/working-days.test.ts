import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CalendarFileError, WorkingCalendar } from './working-days.js';

// Expectations are counted by hand on the State Council notices (2025: 国办发明电〔2024〕12号,
// 2026: 国办发明电〔2025〕7号). Instants carry their offset, so the machine's time zone never matters.
const beijing = (time: string) => new Date(`${time}+08:00`);
const endOfBeijingDay = (day: string) => new Date(`${day}T23:59:59.999+08:00`);

let calendar: WorkingCalendar;
beforeAll(async () => {
  calendar = await WorkingCalendar.load();
});

describe('the bundled national calendar', () => {
  it('covers 2025 and 2026', () => {
    expect(calendar.coveredYears).toEqual([2025, 2026]);
    expect(calendar.timeZone).toBe('Asia/Shanghai');
  });

  it.each([
    '2025-01-26',
    '2025-02-08',
    '2025-04-27',
    '2025-09-28',
    '2025-10-11',
    '2026-01-04',
    '2026-02-14',
    '2026-02-28',
    '2026-05-09',
    '2026-09-20',
    '2026-10-10',
  ])('works on the make-up weekend day %s', (day) => {
    expect(calendar.isWorkingDay(day)).toBe(true);
  });

  it.each([
    '2025-01-01',
    '2025-02-04',
    '2025-04-04',
    '2025-05-05',
    '2025-06-02',
    '2025-10-08',
    '2026-01-02',
    '2026-02-16',
    '2026-02-23',
    '2026-04-06',
    '2026-05-05',
    '2026-06-19',
    '2026-09-25',
    '2026-10-07',
  ])('rests on the weekday holiday %s', (day) => {
    expect(calendar.isWorkingDay(day)).toBe(false);
  });

  it('counts other days Monday to Friday', () => {
    expect(calendar.isWorkingDay('2026-02-24')).toBe(true); // Tuesday after the Spring Festival
    expect(calendar.isWorkingDay('2026-03-07')).toBe(false); // Saturday
    expect(calendar.isWorkingDay('2026-03-08')).toBe(false); // Sunday
    expect(calendar.isWorkingDay('2026-03-09')).toBe(true); // Monday
  });

  it('refuses a day not written YYYY-MM-DD', () => {
    expect(() => calendar.isWorkingDay('2026-2-24')).toThrow(RangeError);
    expect(() => calendar.isWorkingDay('2026-02-30')).toThrow(RangeError);
  });
});

describe('addWorkingDays', () => {
  it('counts the make-up Saturday before the Spring Festival', () => {
    // Registered Friday 2026-02-13: the 1st working day after it is Saturday 2026-02-14 (调休上班).
    expect(calendar.addWorkingDays(beijing('2026-02-13T10:00:00'), 1)).toEqual(endOfBeijingDay('2026-02-14'));
  });

  it('skips the Spring Festival holiday', () => {
    // Registered on the make-up Saturday 2026-02-14; 02-15..02-23 are off, so the 1st is Tuesday 02-24.
    expect(calendar.addWorkingDays(beijing('2026-02-14T10:00:00'), 1)).toEqual(endOfBeijingDay('2026-02-24'));
    // From Friday 02-13: 02-14 (1), 02-24 (2), 02-25 (3), 02-26 (4), 02-27 (5).
    expect(calendar.addWorkingDays(beijing('2026-02-13T10:00:00'), 5)).toEqual(endOfBeijingDay('2026-02-27'));
  });

  it('counts the make-up Saturday after the Spring Festival', () => {
    // From Tuesday 02-24: 02-25 (1), 02-26 (2), 02-27 (3), Saturday 02-28 (4).
    expect(calendar.addWorkingDays(beijing('2026-02-24T09:00:00'), 4)).toEqual(endOfBeijingDay('2026-02-28'));
  });

  it('gives 15 working days across the Mid-Autumn and National Day holidays', () => {
    // From Wednesday 09-23: 09-24 (1); 09-25..27 off; 09-28..30 (2-4); 10-01..07 off; 10-08, 10-09 (5, 6);
    // Saturday 10-10 (7); 10-12..16 (8-12); 10-19..21 (13-15).
    expect(calendar.addWorkingDays(beijing('2026-09-23T15:00:00'), 15)).toEqual(endOfBeijingDay('2026-10-21'));
    // From Friday 09-18: Sunday 09-20 (1); 09-21..24 (2-5); 09-28..30 (6-8); 10-08, 10-09 (9, 10);
    // Saturday 10-10 (11); 10-12..15 (12-15).
    expect(calendar.addWorkingDays(beijing('2026-09-18T15:00:00'), 15)).toEqual(endOfBeijingDay('2026-10-15'));
  });

  it('takes the registration day in Beijing even when UTC is still on the previous day', () => {
    // 00:30 on Saturday 02-14 in Beijing is 16:30 on Friday 02-13 in UTC; counted from 02-14, the 1st is 02-24.
    const lateAtNight = beijing('2026-02-14T00:30:00');
    expect(lateAtNight.toISOString()).toBe('2026-02-13T16:30:00.000Z');
    expect(calendar.addWorkingDays(lateAtNight, 1)).toEqual(endOfBeijingDay('2026-02-24'));
    expect(calendar.addWorkingDays(beijing('2026-02-13T23:59:59'), 1)).toEqual(endOfBeijingDay('2026-02-14'));
  });

  it('ends the deadline at the last millisecond of the day in Beijing', () => {
    expect(calendar.addWorkingDays(beijing('2026-02-13T10:00:00'), 1).toISOString()).toBe('2026-02-14T15:59:59.999Z');
  });

  it('with 0 days, ends on the registration day when it is a working day, else on the next one', () => {
    expect(calendar.addWorkingDays(beijing('2026-02-13T10:00:00'), 0)).toEqual(endOfBeijingDay('2026-02-13'));
    expect(calendar.addWorkingDays(beijing('2026-02-14T10:00:00'), 0)).toEqual(endOfBeijingDay('2026-02-14'));
    expect(calendar.addWorkingDays(beijing('2026-10-03T10:00:00'), 0)).toEqual(endOfBeijingDay('2026-10-08'));
    expect(calendar.addWorkingDays(beijing('2026-03-08T10:00:00'), 0)).toEqual(endOfBeijingDay('2026-03-09'));
  });

  it('follows the 2025 holidays', () => {
    // From Friday 01-24: Sunday 01-26 (1), 01-27 (2); 01-28..02-04 off; 02-05 (3).
    expect(calendar.addWorkingDays(beijing('2025-01-24T10:00:00'), 3)).toEqual(endOfBeijingDay('2025-02-05'));
    // From Friday 04-25: Sunday 04-27 is a make-up day.
    expect(calendar.addWorkingDays(beijing('2025-04-25T10:00:00'), 1)).toEqual(endOfBeijingDay('2025-04-27'));
    // From Thursday 05-29: 05-30 (1); 05-31..06-02 off; 06-03 (2).
    expect(calendar.addWorkingDays(beijing('2025-05-29T10:00:00'), 2)).toEqual(endOfBeijingDay('2025-06-03'));
    // From Tuesday 09-30: 10-01..08 off; 10-09 (1), 10-10 (2), Saturday 10-11 (3).
    expect(calendar.addWorkingDays(beijing('2025-09-30T10:00:00'), 3)).toEqual(endOfBeijingDay('2025-10-11'));
  });

  it('carries the count from one covered year into the next', () => {
    // From Wednesday 2025-12-31: 2026-01-01..03 off; Sunday 01-04 is a make-up day.
    expect(calendar.addWorkingDays(beijing('2025-12-31T10:00:00'), 1)).toEqual(endOfBeijingDay('2026-01-04'));
  });

  it('refuses a count that is not a whole number of days, and an invalid date', () => {
    expect(() => calendar.addWorkingDays(beijing('2026-02-13T10:00:00'), -1)).toThrow(RangeError);
    expect(() => calendar.addWorkingDays(beijing('2026-02-13T10:00:00'), 1.5)).toThrow(RangeError);
    expect(() => calendar.addWorkingDays(new Date('not a date'), 1)).toThrow(RangeError);
  });

  it('counts in the configured time zone, summer time included', async () => {
    const newYork = await WorkingCalendar.load(undefined, { timeZone: 'America/New_York' });
    // Friday 2026-03-06 in New York; clocks go forward on Sunday 03-08, so Monday 03-09 ends at UTC-4.
    expect(newYork.addWorkingDays(new Date('2026-03-06T12:00:00-05:00'), 1)).toEqual(
      new Date('2026-03-09T23:59:59.999-04:00'),
    );
  });

  it('refuses an unknown time zone', async () => {
    await expect(WorkingCalendar.load(undefined, { timeZone: 'Asia/Beijing' })).rejects.toThrow(RangeError);
  });
});

describe('workingDaysBetween', () => {
  it('counts the working days after the first day up to and including the last', () => {
    // The 15 working days counted above, from Friday 09-18 to Thursday 10-15.
    expect(calendar.workingDaysBetween(beijing('2026-09-18T15:00:00'), beijing('2026-10-15T09:00:00'))).toBe(15);
    // 02-14 and 02-24.
    expect(calendar.workingDaysBetween(beijing('2026-02-13T10:00:00'), beijing('2026-02-24T08:00:00'))).toBe(2);
    expect(calendar.workingDaysBetween(beijing('2026-02-13T08:00:00'), beijing('2026-02-13T18:00:00'))).toBe(0);
  });

  it('is negative when the second instant is on an earlier day', () => {
    expect(calendar.workingDaysBetween(beijing('2026-02-24T08:00:00'), beijing('2026-02-13T10:00:00'))).toBe(-2);
  });

  it('undoes addWorkingDays', () => {
    const from = beijing('2026-02-10T09:00:00');
    for (let days = 1; days <= 60; days++) {
      expect(calendar.workingDaysBetween(from, calendar.addWorkingDays(from, days))).toBe(days);
    }
  });
});

describe('years the file does not cover', () => {
  it('are counted Monday to Friday and reported once per year', async () => {
    const onUncoveredYear = vi.fn();
    const partial = await WorkingCalendar.load(undefined, { onUncoveredYear });
    expect(partial.isWorkingDay('2026-03-09')).toBe(true);
    expect(onUncoveredYear).not.toHaveBeenCalled();

    expect(partial.isWorkingDay('2027-10-01')).toBe(true); // a Friday: National Day, but not in the file
    expect(partial.isWorkingDay('2027-10-02')).toBe(false); // Saturday
    // From Thursday 2026-12-31, the 1st working day is Friday 2027-01-01 when 2027 is unknown.
    expect(partial.addWorkingDays(beijing('2026-12-31T10:00:00'), 1)).toEqual(endOfBeijingDay('2027-01-01'));
    expect(onUncoveredYear.mock.calls).toEqual([[2027]]);

    expect(partial.isWorkingDay('2024-02-12')).toBe(true); // a Monday
    expect(onUncoveredYear.mock.calls).toEqual([[2027], [2024]]);
  });
});

describe('holiday file validation', () => {
  const file = (holidays: string, year = 2026) =>
    `years:\n  - year: ${year}\n    notice: 测试通知\n    holidays:\n${holidays}`;
  const springFestival = `      - name: 春节
        from: 2026-02-15
        to: 2026-02-23
        makeupWorkdays: [2026-02-14, 2026-02-28]
`;

  function problemsOf(text: string): readonly string[] {
    try {
      WorkingCalendar.fromYaml(text, 'city.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(CalendarFileError);
      return (error as CalendarFileError).problems;
    }
    throw new Error('the file was accepted');
  }

  it('accepts a small valid file, a one-day holiday without `to` included', () => {
    const city = WorkingCalendar.fromYaml(file(`${springFestival}      - name: 元旦\n        from: 2026-01-01\n`));
    expect(city.coveredYears).toEqual([2026]);
    expect(city.isWorkingDay('2026-01-01')).toBe(false);
    expect(city.isWorkingDay('2026-01-02')).toBe(true);
  });

  it('names the file and lists every problem', () => {
    const text = file(springFestival.replace('2026-02-15', '2026-02-30').replace('2026-02-28', '2026-02-27'));
    expect(() => WorkingCalendar.fromYaml(text, 'city.yaml')).toThrow(/^Invalid holiday file city\.yaml:\n {2}- 2026/);
    expect(problemsOf(text)).toEqual(['2026 春节 from: 2026-02-30 is not a date written YYYY-MM-DD']);
    // Date checks run once the shape is right, so the Friday make-up day is reported on its own.
    expect(problemsOf(file(springFestival.replace('2026-02-28', '2026-02-27')))).toEqual([
      '2026 春节: make-up working day 2026-02-27 is a Friday, not a weekend day',
    ]);
  });

  it.each([
    ['an impossible date', ['2026-02-23', '2026-02-29'], '2026 春节 to: 2026-02-29 is not a date written YYYY-MM-DD'],
    [
      'a date without zero padding',
      ['2026-02-28', '2026-2-28'],
      '2026 春节 makeupWorkdays[1]: 2026-2-28 is not a date written YYYY-MM-DD',
    ],
    ['a number for a date', ['2026-02-15', '20260215'], '2026 春节 from: must be a date written YYYY-MM-DD'],
  ])('reports %s', (_, [from, to], problem) => {
    expect(problemsOf(file(springFestival.replace(from!, to!)))).toEqual([problem]);
  });

  it('reports a date that is both a holiday and a make-up working day', () => {
    // Sunday 2026-02-22 is inside the Spring Festival.
    expect(problemsOf(file(springFestival.replace('2026-02-28', '2026-02-22')))).toEqual([
      '2026 春节: make-up working day 2026-02-22 is also a holiday of 2026 春节',
    ]);
  });

  it('reports a make-up working day that is not a weekend day', () => {
    expect(problemsOf(file(springFestival.replace('2026-02-14', '2026-02-13')))).toEqual([
      '2026 春节: make-up working day 2026-02-13 is a Friday, not a weekend day',
    ]);
  });

  it('reports holiday and make-up dates outside their year', () => {
    const lastYears = `      - name: 国庆节\n        from: 2025-10-01\n        to: 2025-10-08\n        makeupWorkdays: [2025-10-11]\n`;
    expect(problemsOf(file(lastYears))).toEqual([
      '2026 国庆节: 2025-10-01 is not in 2026',
      '2026 国庆节: 2025-10-08 is not in 2026',
      '2026 国庆节: 2025-10-11 is not in 2026',
    ]);
  });

  it('reports a year listed twice', () => {
    const twice = `${file(springFestival)}${file(springFestival).replace('years:\n', '')}`;
    expect(problemsOf(twice)).toEqual(['2026: the year is listed more than once']);
  });

  it('reports a range that ends before it starts', () => {
    expect(problemsOf(file(springFestival.replace('2026-02-23', '2026-02-13')))).toEqual([
      '2026 春节: to 2026-02-13 is before from 2026-02-15',
    ]);
  });

  it('reports a day off listed under two holidays', () => {
    const overlapping = `      - name: 国庆节\n        from: 2026-10-01\n        to: 2026-10-07\n      - name: 中秋节\n        from: 2026-09-25\n        to: 2026-10-01\n`;
    expect(problemsOf(file(overlapping))).toEqual(['2026 中秋节: 2026-10-01 is already a holiday of 2026 国庆节']);
  });

  it('reports a misspelt key instead of ignoring it', () => {
    expect(problemsOf(file(springFestival.replace('makeupWorkdays', 'makeupWorkday')))).toEqual([
      '2026 春节: Unrecognized key: "makeupWorkday"',
    ]);
  });

  it('reports a missing notice, a year without holidays, and a holiday without a name', () => {
    expect(problemsOf(file(springFestival).replace('    notice: 测试通知\n', ''))).toEqual([
      '2026 notice: Invalid input: expected string, received undefined',
    ]);
    expect(problemsOf('years:\n  - year: 2027\n    notice: 测试通知\n    holidays: []\n')).toEqual([
      expect.stringMatching(/^2027 holidays: /),
    ]);
    expect(problemsOf(file(springFestival.replace('name: 春节', 'name: ""')))).toEqual([
      expect.stringMatching(/^2026 holidays\[0\] name: /),
    ]);
  });

  it('reports a file that is not YAML, or empty', () => {
    expect(problemsOf('years: [')).toEqual([expect.stringMatching(/^Flow sequence/)]);
    expect(problemsOf('')).toEqual(['file: Invalid input: expected object, received null']);
  });

  it('loads a city file from a path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'minsheng-calendar-'));
    try {
      const path = join(dir, 'holidays-city.yaml');
      await writeFile(path, file(springFestival));
      expect((await WorkingCalendar.load(path)).coveredYears).toEqual([2026]);
      await writeFile(path, file(springFestival, 2027));
      await expect(WorkingCalendar.load(path)).rejects.toThrow(`Invalid holiday file ${path}:`);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
