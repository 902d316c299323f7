import { civilDate, dayNumber, isoWeekday, mondayOfWeek, monthStartDay } from './civil-date';
import { CalendarUnit, wordTable } from './vocabulary';

/** Whole calendar days [startDay, endDay), as day numbers. */
export interface DaySpan {
  startDay: number;
  endDay: number;
}

export function yearSpan(year: number): DaySpan {
  return { startDay: monthStartDay(year, 1), endDay: monthStartDay(year + 1, 1) };
}

export function monthSpan(year: number, month: number): DaySpan {
  return { startDay: monthStartDay(year, month), endDay: monthStartDay(year, month + 1) };
}

/** Months in a row starting at `firstMonth` (which may run past 1–12). */
function monthsSpan(year: number, firstMonth: number, count: number): DaySpan {
  return { startDay: monthStartDay(year, firstMonth), endDay: monthStartDay(year, firstMonth + count) };
}

export function quarterSpan(year: number, quarter: number): DaySpan {
  return monthsSpan(year, 3 * quarter - 2, 3);
}

export function halfYearSpan(year: number, half: number): DaySpan {
  return monthsSpan(year, 6 * half - 5, 6);
}

/** The calendar day, Monday–Sunday week, month, quarter or year `periodsBack` periods before today's. */
export function calendarPeriodSpan(unit: CalendarUnit, today: number, periodsBack: number): DaySpan {
  const { year, month } = civilDate(today);
  switch (unit) {
    case 'day':
      return { startDay: today - periodsBack, endDay: today - periodsBack + 1 };
    case 'week': {
      const monday = mondayOfWeek(today) - 7 * periodsBack;
      return { startDay: monday, endDay: monday + 7 };
    }
    case 'month':
      return monthsSpan(year, month - periodsBack, 1);
    case 'quarter':
      return monthsSpan(year, 3 * Math.floor((month - 1) / 3) + 1 - 3 * periodsBack, 3);
    case 'year':
      return yearSpan(year - periodsBack);
  }
}

/** A period that comes round once a year (a month, a season, a holiday), given the year it starts in. */
export type AnnualPeriod = (year: number) => DaySpan;

export function monthPeriod(month: number): AnnualPeriod {
  return (year) => monthSpan(year, month);
}

// Northern-hemisphere astronomical seasons with fixed dates, as the reference implementation uses.
const spring: AnnualPeriod = (year) => ({ startDay: dayNumber(year, 3, 20), endDay: dayNumber(year, 6, 21) });
const summer: AnnualPeriod = (year) => ({ startDay: dayNumber(year, 6, 21), endDay: dayNumber(year, 9, 23) });
const fall: AnnualPeriod = (year) => ({ startDay: dayNumber(year, 9, 23), endDay: dayNumber(year, 12, 21) });
const winter: AnnualPeriod = (year) => ({ startDay: dayNumber(year, 12, 21), endDay: dayNumber(year + 1, 3, 20) });

export const SEASONS = wordTable<AnnualPeriod>({ spring, summer, fall, autumn: fall, winter });

/** A holiday's date with `windowDays` either side: memories "from christmas" are rarely dated the 25th itself. */
function holiday(dateInYear: (year: number) => number, windowDays: number): AnnualPeriod {
  return (year) => {
    const day = dateInYear(year);
    return { startDay: day - windowDays, endDay: day + windowDays + 1 };
  };
}

/** US Thanksgiving: the fourth Thursday of November. */
function thanksgivingDay(year: number): number {
  const novemberFirst = dayNumber(year, 11, 1);
  const firstThursday = novemberFirst + ((4 - isoWeekday(novemberFirst) + 7) % 7);
  return firstThursday + 21;
}

/** Keyed by the holiday's words joined with spaces, possessives already stripped ("new year's" → "new year"). */
export const HOLIDAYS = wordTable<AnnualPeriod>({
  christmas: holiday((year) => dayNumber(year, 12, 25), 3),
  xmas: holiday((year) => dayNumber(year, 12, 25), 3),
  'new year': holiday((year) => dayNumber(year, 1, 1), 3),
  'new years': holiday((year) => dayNumber(year, 1, 1), 3),
  valentine: holiday((year) => dayNumber(year, 2, 14), 1),
  valentines: holiday((year) => dayNumber(year, 2, 14), 1),
  halloween: holiday((year) => dayNumber(year, 10, 31), 3),
  thanksgiving: holiday(thanksgivingDay, 3),
});

/**
 * Which occurrence a phrase means: a bare name the latest one already begun ("march" in April is
 * this March), "last" the latest one already over, "this" the one under way or else this year's.
 */
export type OccurrenceChoice = 'latest-begun' | 'latest-ended' | 'current';

export function chooseOccurrence(period: AnnualPeriod, today: number, choice: OccurrenceChoice): DaySpan {
  const { year } = civilDate(today);
  // Newest first. Next year's is a candidate because a new-year window starts in late December; the
  // oldest, from two years back, has always begun and ended, so the first two choices always find one.
  const candidates = [year + 1, year, year - 1, year - 2].map(period);
  const oldest = candidates[candidates.length - 1];
  switch (choice) {
    case 'latest-begun':
      return candidates.find((span) => span.startDay <= today) ?? oldest;
    case 'latest-ended':
      return candidates.find((span) => span.endDay <= today) ?? oldest;
    case 'current':
      return candidates.find((span) => span.startDay <= today && today < span.endDay) ?? period(year);
  }
}
