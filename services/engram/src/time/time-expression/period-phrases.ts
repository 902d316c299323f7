import type { TimeRange } from '../time-expression';
import { addMonths, civilDate, MS_PER_HOUR } from './civil-date';
import { isoPointRange, isoRangeRange } from './numeric-dates';
import {
  AnnualPeriod,
  calendarPeriodSpan,
  chooseOccurrence,
  halfYearSpan,
  HOLIDAYS,
  monthPeriod,
  OccurrenceChoice,
  quarterSpan,
  SEASONS,
  yearSpan,
} from './periods';
import { countAt, ParseContext, PhraseRule, trailingYear, yearAt } from './phrase-types';
import {
  AMBIGUOUS_ALONE,
  CalendarUnit,
  CURRENT_WORDS,
  MONTHS,
  ORDINALS,
  PREVIOUS_WORDS,
  RelativeUnit,
  UNITS,
} from './vocabulary';

/** The clock hour `hoursBack` hours before the current one. */
function clockHour(ctx: ParseContext, hoursBack: number): TimeRange {
  const startMs = ctx.time.hourStart(ctx.time.nowMs - hoursBack * MS_PER_HOUR);
  return { startMs, endMs: startMs + MS_PER_HOUR };
}

function calendarPeriodRange(ctx: ParseContext, unit: RelativeUnit, periodsBack: number): TimeRange {
  if (unit === 'hour') return clockHour(ctx, periodsBack);
  return ctx.time.days(calendarPeriodSpan(unit, ctx.time.today, periodsBack));
}

/** "2 weeks ago", "a month ago", "3 hours ago": that whole week, month or clock hour. */
export const periodsAgo: PhraseRule = (ctx, at) => {
  const count = countAt(ctx, at);
  const unit = UNITS.get(ctx.words[at + 1]);
  // "N days ago" is a day phrase instead, so that it can take a time of day.
  if (count === undefined || !unit || unit === 'day' || ctx.words[at + 2] !== 'ago') return undefined;
  return { range: calendarPeriodRange(ctx, unit, count), next: at + 3 };
};

/** "last week", "this month", "previous quarter", "last hour": calendar periods, weeks Monday–Sunday. */
export const previousOrCurrentPeriod: PhraseRule = (ctx, at) => {
  const word = ctx.words[at];
  const periodsBack = PREVIOUS_WORDS.has(word) ? 1 : CURRENT_WORDS.has(word) ? 0 : undefined;
  const unit = UNITS.get(ctx.words[at + 1]);
  // Singular only: "last days" is not a calendar period.
  if (periodsBack === undefined || !unit || unit !== ctx.words[at + 1]) return undefined;
  return { range: calendarPeriodRange(ctx, unit, periodsBack), next: at + 2 };
};

/** The day `count` units before today (month arithmetic clamps: Mar 31 − 1 month = Feb 29). */
function dayUnitsBack(today: number, unit: CalendarUnit, count: number): number {
  switch (unit) {
    case 'day':
      return today - count;
    case 'week':
      return today - 7 * count;
    case 'month':
      return addMonths(today, -count);
    case 'quarter':
      return addMonths(today, -3 * count);
    case 'year':
      return addMonths(today, -12 * count);
  }
}

/** The same wall-clock time `count` units before now. */
function windowStart(ctx: ParseContext, unit: RelativeUnit, count: number): number {
  const { today, nowMsOfDay, nowMs } = ctx.time;
  if (unit === 'hour') return nowMs - count * MS_PER_HOUR;
  return ctx.time.instant(dayUnitsBack(today, unit, count), nowMsOfDay);
}

function windowEndingNow(ctx: ParseContext, unit: RelativeUnit, count: number): TimeRange {
  if (count === 0) ctx.time.reject();
  return { startMs: windowStart(ctx, unit, count), endMs: ctx.time.nowMs };
}

/** Rolling windows ending now: "last 3 days", "past 2 weeks", "past month", "last 24 hours". */
export const rollingWindow: PhraseRule = (ctx, at) => {
  const word = ctx.words[at];
  if (word !== 'past' && !PREVIOUS_WORDS.has(word)) return undefined;
  const count = countAt(ctx, at + 1);
  const unitAt = count === undefined ? at + 1 : at + 2;
  const unit = UNITS.get(ctx.words[unitAt]);
  // Without a count only "past" makes a window: "last week" is the calendar week.
  if (!unit || (count === undefined && word !== 'past')) return undefined;
  return { range: windowEndingNow(ctx, unit, count ?? 1), next: unitAt + 1 };
};

export const RECENT_WORDS = new Set(['recent', 'recently', 'lately']);

/** "recently": the last seven days up to now. */
export const recently: PhraseRule = (ctx, at) =>
  RECENT_WORDS.has(ctx.words[at]) ? { range: windowEndingNow(ctx, 'day', 7), next: at + 1 } : undefined;

interface NamedPeriod {
  period: AnnualPeriod;
  next: number;
  ambiguous: boolean;
}

/** A month, season or holiday name; holidays may take two words and a trailing "day" ("new year's day"). */
function namedPeriodAt(ctx: ParseContext, at: number): NamedPeriod | undefined {
  const word = ctx.words[at];
  const month = MONTHS.get(word);
  const byName = month === undefined ? SEASONS.get(word) : monthPeriod(month);
  if (byName) return { period: byName, next: at + 1, ambiguous: AMBIGUOUS_ALONE.has(word) };
  if (!HOLIDAY_FIRST_WORDS.has(word)) return undefined; // most words: no holiday look-ups at all
  const second = ctx.words[at + 1];
  const length = second !== undefined && HOLIDAYS.has(`${word} ${second}`) ? 2 : 1;
  const holiday = HOLIDAYS.get(length === 2 ? `${word} ${second}` : word);
  if (!holiday) return undefined;
  const afterName = at + length;
  return { period: holiday, next: ctx.words[afterName] === 'day' ? afterName + 1 : afterName, ambiguous: false };
}

const HOLIDAY_FIRST_WORDS = new Set([...HOLIDAYS.keys()].map((name) => name.split(' ')[0]));

/**
 * "march", "summer 2023", "last christmas", "this winter": a bare name is the latest occurrence
 * already begun, "last" the latest already over, "this" the one under way or else this year's.
 */
export const namedPeriod: PhraseRule = (ctx, at) => {
  const word = ctx.words[at];
  const choice: OccurrenceChoice | undefined = PREVIOUS_WORDS.has(word)
    ? 'latest-ended'
    : CURRENT_WORDS.has(word)
      ? 'current'
      : undefined;
  const named = namedPeriodAt(ctx, choice ? at + 1 : at);
  if (!named) return undefined;
  const year = choice ? undefined : trailingYear(ctx, named.next);
  const span = year
    ? named.period(year.year)
    : chooseOccurrence(named.period, ctx.time.today, choice ?? 'latest-begun');
  const ambiguous = !choice && !year && named.ambiguous;
  return { range: ctx.time.days(span), next: year?.next ?? named.next, ambiguous };
};

const QUARTER_SHORT = /^q([1-4])$/;
const HALF_SHORT = /^h([12])$/;

function currentYear(ctx: ParseContext): number {
  return civilDate(ctx.time.today).year;
}

/** "first quarter", "3rd quarter of 2023", "q1 2024", "q2": this year's when no year is given. */
export const quarter: PhraseRule = (ctx, at) => {
  const short = QUARTER_SHORT.exec(ctx.words[at] ?? '');
  const number = short ? Number(short[1]) : ctx.words[at + 1] === 'quarter' ? ORDINALS.get(ctx.words[at]) : undefined;
  if (number === undefined) return undefined;
  const nameEnd = short ? at + 1 : at + 2;
  const year = trailingYear(ctx, nameEnd);
  return { range: ctx.time.days(quarterSpan(year?.year ?? currentYear(ctx), number)), next: year?.next ?? nameEnd };
};

/** "first half of 2024", "2nd half 2023", "h2 2024". The year is required: "the second half" is rarely a date. */
export const halfYear: PhraseRule = (ctx, at) => {
  const short = HALF_SHORT.exec(ctx.words[at] ?? '');
  const ordinal = ctx.words[at + 1] === 'half' ? ORDINALS.get(ctx.words[at]) : undefined;
  const half = short ? Number(short[1]) : ordinal !== undefined && ordinal <= 2 ? ordinal : undefined;
  if (half === undefined) return undefined;
  const year = trailingYear(ctx, short ? at + 1 : at + 2);
  return year && { range: ctx.time.days(halfYearSpan(year.year, half)), next: year.next };
};

/** "2024" alone: that calendar year. */
export const wholeYear: PhraseRule = (ctx, at) => {
  const year = yearAt(ctx, at);
  return year === undefined ? undefined : { range: ctx.time.days(yearSpan(year)), next: at + 1, ambiguous: true };
};

/** One token in ISO form: a range ("2024-01-01..2024-02-01"), a year-month or a timestamp. */
export const isoToken: PhraseRule = (ctx, at) => {
  const word = ctx.words[at] ?? '';
  const range = isoRangeRange(ctx.time, word) ?? isoPointRange(ctx.time, word);
  return range && { range, next: at + 1 };
};
