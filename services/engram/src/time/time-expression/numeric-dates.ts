import type { TimeRange } from '../time-expression';
import { civilDate, dayNumber, isValidCivilDate, MS_PER_DAY } from './civil-date';
import { monthSpan } from './periods';
import type { TimeContext } from './time-context';

// Anchored, with bounded repetition and no nested quantifiers: matching is linear in the token length.
const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const ISO_MONTH = /^(\d{4})-(\d{1,2})$/;
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})t(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(z|[+-]\d{2}(?::?\d{2})?)?$/;
const US_DATE = /^(\d{1,2})\/(\d{1,2})(?:\/(\d{2}|\d{4}))?$/;
const UTC_OFFSET = /^([+-])(\d{2}):?(\d{2})?$/;

/** Leap days recur within eight years (2096 → 2104), so "2/29" finds its latest occurrence in that span. */
const YEARS_TO_SEARCH_FOR_A_DATE = 9;

/** The day of a calendar date, rejecting impossible ones (2024-02-30, month 13). */
export function validDay(time: TimeContext, year: number, month: number, day: number): number {
  if (!isValidCivilDate(year, month, day)) time.reject();
  return dayNumber(year, month, day);
}

/** The latest month/day on or before today (so "12/25" in January is last Christmas). */
export function latestDayOfYear(time: TimeContext, month: number, day: number): number {
  let { year } = civilDate(time.today);
  for (let tries = 0; tries < YEARS_TO_SEARCH_FOR_A_DATE; tries++, year--) {
    if (isValidCivilDate(year, month, day) && dayNumber(year, month, day) <= time.today) {
      return dayNumber(year, month, day);
    }
  }
  return time.reject();
}

/** "2024-03-05" → its day. */
export function isoDateDay(time: TimeContext, word: string): number | undefined {
  const match = ISO_DATE.exec(word);
  return match ? validDay(time, Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
}

/** US order: "3/5", "3/5/24", "3/5/2024" → March 5. Two-digit years: 00–49 → 2000s, 50–99 → 1900s. */
export function usDateDay(time: TimeContext, word: string): number | undefined {
  const match = US_DATE.exec(word);
  if (!match) return undefined;
  const [month, day] = [Number(match[1]), Number(match[2])];
  if (match[3] === undefined) return latestDayOfYear(time, month, day);
  const written = Number(match[3]);
  const year = match[3].length === 4 ? written : written + (written < 50 ? 2000 : 1900);
  return validDay(time, year, month, day);
}

/** A single ISO date, year-month or timestamp, as the span it names at the precision written. */
export function isoPointRange(time: TimeContext, word: string): TimeRange | undefined {
  const day = isoDateDay(time, word);
  if (day !== undefined) return time.day(day);
  const month = ISO_MONTH.exec(word);
  if (month) return isoMonthRange(time, Number(month[1]), Number(month[2]));
  return isoTimestampRange(time, word);
}

function isoMonthRange(time: TimeContext, year: number, month: number): TimeRange {
  validDay(time, year, month, 1);
  const span = monthSpan(year, month);
  return time.days(span);
}

/**
 * "2024-03-05t14:30[:15[.250]][z|+01:00]" → the minute, second or millisecond written. Without an
 * offset the time is wall-clock time in the configured zone.
 */
function isoTimestampRange(time: TimeContext, word: string): TimeRange | undefined {
  const match = ISO_TIMESTAMP.exec(word);
  if (!match) return undefined;
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) time.reject();
  const day = validDay(time, Number(match[1]), Number(match[2]), Number(match[3]));
  const millis = Number((match[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const msOfDay = ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  const startMs =
    match[8] === undefined ? time.instant(day, msOfDay) : day * MS_PER_DAY + msOfDay - offsetMs(time, match[8]);
  return { startMs, endMs: startMs + precisionMs(match[6], match[7]) };
}

function precisionMs(seconds: string | undefined, fraction: string | undefined): number {
  if (fraction !== undefined) return 1;
  return seconds === undefined ? 60_000 : 1000;
}

function offsetMs(time: TimeContext, designator: string): number {
  if (designator === 'z') return 0;
  const match = UTC_OFFSET.exec(designator);
  const [hours, minutes] = [Number(match?.[2]), Number(match?.[3] ?? 0)];
  if (!match || hours > 23 || minutes > 59) time.reject();
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

/**
 * ISO ranges in one token. "A..B" includes all of B (as in search syntaxes: 2024-01-01..2024-01-31 is
 * all of January); "A/B" is an ISO 8601 interval between two instants, so it ends where B begins.
 * Either side may be left open: "2024-01-01..", "..2024-02-01", "2024-01-01/..".
 */
export function isoRangeRange(time: TimeContext, word: string): TimeRange | undefined {
  // The slash is looked for first: in "2024-01-01/.." the ".." is the open end, not the separator.
  const slash = word.indexOf('/');
  if (slash > -1) {
    if (slash !== word.lastIndexOf('/')) return undefined;
    return joinIsoEnds(time, word.slice(0, slash), word.slice(slash + 1), (range) => range.startMs);
  }
  const dots = word.indexOf('..');
  if (dots === -1) return undefined;
  return joinIsoEnds(time, word.slice(0, dots), word.slice(dots + 2), (range) => range.endMs);
}

function joinIsoEnds(
  time: TimeContext,
  from: string,
  to: string,
  endOf: (range: TimeRange) => number | undefined,
): TimeRange | undefined {
  const start = isOpenEnd(from) ? {} : isoPointRange(time, from);
  const end = isOpenEnd(to) ? {} : isoPointRange(time, to);
  if (!start || !end || (isOpenEnd(from) && isOpenEnd(to))) return undefined;
  const range: TimeRange = { startMs: start.startMs, endMs: endOf(end) };
  if (range.startMs !== undefined && range.endMs !== undefined && range.startMs >= range.endMs) time.reject();
  return range;
}

function isOpenEnd(side: string): boolean {
  return side === '' || side === '..';
}
