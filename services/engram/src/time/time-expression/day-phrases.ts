import type { TimeRange } from '../time-expression';
import { isoWeekday, MS_PER_HOUR, mondayOfWeek } from './civil-date';
import { isoDateDay, latestDayOfYear, usDateDay, validDay } from './numeric-dates';
import { countAt, DayMatch, DayRule, longer, ParseContext, PhraseRule, yearAt } from './phrase-types';
import { CURRENT_WORDS, MONTHS, NIGHT, PREVIOUS_WORDS, TimeOfDay, TIMES_OF_DAY, UNITS, WEEKDAYS } from './vocabulary';

const today: DayRule = (ctx, at) => (ctx.words[at] === 'today' ? { day: ctx.time.today, next: at + 1 } : undefined);

const yesterday: DayRule = (ctx, at) => {
  if (ctx.words[at] === 'yesterday') return { day: ctx.time.today - 1, next: at + 1 };
  const dayBefore = ctx.words.slice(at, at + 3).join(' ') === 'day before yesterday';
  return dayBefore ? { day: ctx.time.today - 2, next: at + 3 } : undefined;
};

/** "3 days ago", "three days ago", "a day ago": that whole calendar day. */
const daysAgo: DayRule = (ctx, at) => {
  const count = countAt(ctx, at);
  if (count === undefined || UNITS.get(ctx.words[at + 1]) !== 'day' || ctx.words[at + 2] !== 'ago') return undefined;
  return { day: ctx.time.today - count, next: at + 3 };
};

/** "monday" is the latest Monday up to today, "last monday" the latest before today, "this monday" this week's. */
const weekday: DayRule = (ctx, at) => {
  const qualifier = ctx.words[at];
  const qualified = PREVIOUS_WORDS.has(qualifier) || CURRENT_WORDS.has(qualifier);
  const target = WEEKDAYS.get(ctx.words[qualified ? at + 1 : at]);
  if (target === undefined) return undefined;
  const next = qualified ? at + 2 : at + 1;
  const { today } = ctx.time;
  if (CURRENT_WORDS.has(qualifier)) return { day: mondayOfWeek(today) + target - 1, next };
  const daysBack = (isoWeekday(today) - target + 7) % 7;
  return { day: today - (PREVIOUS_WORDS.has(qualifier) ? daysBack || 7 : daysBack), next };
};

/** "2024-03-05", "3/5", "3/5/24". A yearless "3/4" inside a query is more often a fraction than a date. */
const numericDate: DayRule = (ctx, at) => {
  const word = ctx.words[at] ?? '';
  const day = isoDateDay(ctx.time, word) ?? usDateDay(ctx.time, word);
  return day === undefined ? undefined : { day, next: at + 1, ambiguous: word.split('/').length === 2 };
};

const DAY_OF_MONTH = /^(\d{1,2})(?:st|nd|rd|th)?$/;

function dayOfMonthAt(ctx: ParseContext, at: number): number | undefined {
  const match = DAY_OF_MONTH.exec(ctx.words[at] ?? '');
  const day = match ? Number(match[1]) : 0;
  return day >= 1 && day <= 31 ? day : undefined;
}

interface MonthAndDay {
  month: number;
  day: number;
  next: number;
}

/** "march 5[th]" or "5[th] [of] march". */
function monthAndDayAt(ctx: ParseContext, at: number): MonthAndDay | undefined {
  const monthFirst = MONTHS.get(ctx.words[at]);
  if (monthFirst !== undefined) {
    const day = dayOfMonthAt(ctx, at + 1);
    return day === undefined ? undefined : { month: monthFirst, day, next: at + 2 };
  }
  const day = dayOfMonthAt(ctx, at);
  const monthAt = ctx.words[at + 1] === 'of' ? at + 2 : at + 1;
  const month = MONTHS.get(ctx.words[monthAt]);
  return day === undefined || month === undefined ? undefined : { month, day, next: monthAt + 1 };
}

/** "march 5", "march 5th 2024", "5th of march"; without a year, the latest one up to today. */
const monthAndDay: DayRule = (ctx, at) => {
  const date = monthAndDayAt(ctx, at);
  if (!date) return undefined;
  const year = yearAt(ctx, date.next);
  if (year === undefined) return { day: latestDayOfYear(ctx.time, date.month, date.day), next: date.next };
  return { day: validDay(ctx.time, year, date.month, date.day), next: date.next + 1 };
};

const DAY_RULES: readonly DayRule[] = [today, yesterday, daysAgo, weekday, numericDate, monthAndDay];

function timeOfDayRange(ctx: ParseContext, day: number, timeOfDay: TimeOfDay): TimeRange {
  return {
    startMs: ctx.time.instant(day, timeOfDay.startHour * MS_PER_HOUR),
    endMs: ctx.time.instant(day, timeOfDay.endHour * MS_PER_HOUR),
  };
}

/** "evening", "at noon", "in the morning" after a day. */
function timeOfDaySuffix(ctx: ParseContext, at: number): { timeOfDay: TimeOfDay; next: number } | undefined {
  let cursor = at;
  if (['at', 'in', 'during'].includes(ctx.words[cursor])) cursor++;
  if (ctx.words[cursor] === 'the') cursor++;
  const timeOfDay = TIMES_OF_DAY.get(ctx.words[cursor]);
  return timeOfDay && { timeOfDay, next: cursor + 1 };
}

/** A day phrase, narrowed by a time of day when one follows ("yesterday evening", "3/5 at noon"). */
export const dayPhrase: PhraseRule = (ctx, at) => {
  let match: DayMatch | undefined;
  for (const rule of DAY_RULES) match = longer(match, rule(ctx, at));
  if (!match) return undefined;
  const suffix = timeOfDaySuffix(ctx, match.next);
  if (suffix) return { range: timeOfDayRange(ctx, match.day, suffix.timeOfDay), next: suffix.next };
  return { range: ctx.time.day(match.day), next: match.next, ambiguous: match.ambiguous };
};

/** Before 05:00 "tonight" is still the night that began yesterday evening. */
function currentNightDay(ctx: ParseContext): number {
  const nightEndsNextDayAt = (NIGHT.endHour - 24) * MS_PER_HOUR;
  return ctx.time.nowMsOfDay < nightEndsNextDayAt ? ctx.time.today - 1 : ctx.time.today;
}

interface TimeOfDayOnDay {
  day: number;
  timeOfDay: TimeOfDay;
  next: number;
  ambiguous?: boolean;
}

/** Resolves a time of day given without a day to the day it falls on. */
function impliedDay(ctx: ParseContext, at: number): TimeOfDayOnDay | undefined {
  const word = ctx.words[at];
  if (word === 'tonight') return { day: currentNightDay(ctx), timeOfDay: NIGHT, next: at + 1 };
  const qualified = PREVIOUS_WORDS.has(word) || CURRENT_WORDS.has(word);
  const timeOfDay = TIMES_OF_DAY.get(ctx.words[qualified ? at + 1 : at]);
  if (!timeOfDay) return undefined;
  const { today, nowMsOfDay } = ctx.time;
  if (PREVIOUS_WORDS.has(word)) return { day: today - 1, timeOfDay, next: at + 2 };
  if (CURRENT_WORDS.has(word))
    return { day: timeOfDay === NIGHT ? currentNightDay(ctx) : today, timeOfDay, next: at + 2 };
  // A bare "evening" is the latest one that has begun.
  const begunToday = timeOfDay.startHour * MS_PER_HOUR <= nowMsOfDay;
  return { day: begunToday ? today : today - 1, timeOfDay, next: at + 1, ambiguous: true };
}

/** "last night", "tonight", "this morning", or a bare "evening". */
export const timeOfDayPhrase: PhraseRule = (ctx, at) => {
  const implied = impliedDay(ctx, at);
  if (!implied) return undefined;
  const range = timeOfDayRange(ctx, implied.day, implied.timeOfDay);
  return { range, next: implied.next, ambiguous: implied.ambiguous };
};
