/** The words the time-expression grammar knows, each table keyed by the normalised token. */

/** Maps, not object literals, so that tokens such as "constructor" never hit Object.prototype. */
export function wordTable<T>(entries: Record<string, T>): ReadonlyMap<string, T> {
  return new Map(Object.entries(entries));
}

/** Counts in "three days ago", "a week ago", "last two months". */
export const NUMBER_WORDS = wordTable<number>({
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
});

export const MONTHS = wordTable<number>({
  january: 1,
  jan: 1,
  february: 2,
  feb: 2,
  march: 3,
  mar: 3,
  april: 4,
  apr: 4,
  may: 5,
  june: 6,
  jun: 6,
  july: 7,
  jul: 7,
  august: 8,
  aug: 8,
  september: 9,
  sep: 9,
  sept: 9,
  october: 10,
  oct: 10,
  november: 11,
  nov: 11,
  december: 12,
  dec: 12,
});

/** ISO weekday numbers, Monday 1. */
export const WEEKDAYS = wordTable<number>({
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
  sunday: 7,
});

export type CalendarUnit = 'day' | 'week' | 'month' | 'quarter' | 'year';
export type RelativeUnit = CalendarUnit | 'hour';

export const UNITS = wordTable<RelativeUnit>({
  hour: 'hour',
  hours: 'hour',
  day: 'day',
  days: 'day',
  week: 'week',
  weeks: 'week',
  month: 'month',
  months: 'month',
  quarter: 'quarter',
  quarters: 'quarter',
  year: 'year',
  years: 'year',
});

/** Wall-clock hours [startHour, endHour) of a day; an end past 24 runs into the next day. */
export interface TimeOfDay {
  startHour: number;
  endHour: number;
}

/** 22:00 to 05:00 the next morning. */
export const NIGHT: TimeOfDay = { startHour: 22, endHour: 29 };

export const TIMES_OF_DAY = wordTable<TimeOfDay>({
  morning: { startHour: 5, endHour: 12 },
  noon: { startHour: 12, endHour: 13 },
  afternoon: { startHour: 13, endHour: 18 },
  evening: { startHour: 18, endHour: 22 },
  night: NIGHT,
  midnight: { startHour: 0, endHour: 1 },
});

/** "first quarter", "2nd half". */
export const ORDINALS = wordTable<number>({
  first: 1,
  '1st': 1,
  second: 2,
  '2nd': 2,
  third: 3,
  '3rd': 3,
  fourth: 4,
  '4th': 4,
});

export const PREVIOUS_WORDS = new Set(['last', 'previous']);
export const CURRENT_WORDS = new Set(['this', 'current']);

/**
 * Words that lead into a time phrase ("in march", "over the past week"). A phrase may start with
 * them, and when a phrase is cut out of a query they go with it.
 */
export const LEAD_IN_WORDS = new Set([
  'in',
  'on',
  'at',
  'during',
  'from',
  'over',
  'within',
  'around',
  'for',
  'of',
  'the',
]);

/**
 * Month and season names that mostly mean something else in a query ("may I", "spring boot",
 * "fall back"): inside a query, alone, they count only after a lead-in word.
 */
export const AMBIGUOUS_ALONE = new Set(['may', 'march', 'mar', 'spring', 'summer', 'fall', 'autumn', 'winter']);
