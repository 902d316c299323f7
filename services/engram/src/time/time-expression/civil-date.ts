/**
 * Calendar arithmetic on plain dates, counted as days since 1970-01-01 ("day numbers"). Working on
 * integers instead of `Date` keeps the maths free of time zones and of `Date.UTC`'s remapping of
 * years 0–99 to 1900–1999.
 */
export interface CivilDate {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
}

export const MS_PER_DAY = 86_400_000;
export const MS_PER_HOUR = 3_600_000;

/** Years outside this span are refused, so every supported date has a four-digit year. */
export const MIN_YEAR = 1000;
export const MAX_YEAR = 9999;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Inverse of {@link dayNumber} (Howard Hinnant's civil_from_days). */
export function civilDate(dayNum: number): CivilDate {
  const z = dayNum + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const month = shiftedMonth + (shiftedMonth < 10 ? 3 : -9);
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day: dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1 };
}

/** ISO weekday: Monday 1 … Sunday 7 (1970-01-01 was a Thursday). */
export function isoWeekday(dayNum: number): number {
  return ((((dayNum + 3) % 7) + 7) % 7) + 1;
}

export function mondayOfWeek(dayNum: number): number {
  return dayNum - (isoWeekday(dayNum) - 1);
}

/** First day of a month; `month` may run past 1–12 (month 13 is January of the next year). */
export function monthStartDay(year: number, month: number): number {
  const monthIndex = year * 12 + (month - 1);
  return dayNumber(Math.floor(monthIndex / 12), (((monthIndex % 12) + 12) % 12) + 1, 1);
}

function daysInMonth(year: number, month: number): number {
  return monthStartDay(year, month + 1) - monthStartDay(year, month);
}

export function isValidCivilDate(year: number, month: number, day: number): boolean {
  return (
    Number.isInteger(year) &&
    year >= MIN_YEAR &&
    year <= MAX_YEAR &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

/** Same day-of-month `months` later (or earlier), clamped to the month's length: Mar 31 − 1 month = Feb 29. */
export function addMonths(dayNum: number, months: number): number {
  const { year, month, day } = civilDate(dayNum);
  const targetStart = monthStartDay(year, month + months);
  const target = civilDate(targetStart);
  return targetStart + Math.min(day, daysInMonth(target.year, target.month)) - 1;
}
