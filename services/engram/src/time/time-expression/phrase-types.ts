import type { TimeRange } from '../time-expression';
import type { TimeContext } from './time-context';
import { NUMBER_WORDS } from './vocabulary';

/** The tokens being parsed (normalised words) and what they are resolved against. */
export interface ParseContext {
  readonly words: readonly string[];
  readonly time: TimeContext;
}

/** A phrase recognised at a token position: its range and the position just after it. */
export interface PhraseMatch {
  range: TimeRange;
  next: number;
  /** Mostly means something else inside a query ("may", "spring", "2024"); see AMBIGUOUS_ALONE. */
  ambiguous?: boolean;
}

/** A phrase naming one calendar day, which a time of day can narrow ("yesterday evening"). */
export interface DayMatch {
  day: number;
  next: number;
  ambiguous?: boolean;
}

export type PhraseRule = (ctx: ParseContext, at: number) => PhraseMatch | undefined;
export type DayRule = (ctx: ParseContext, at: number) => DayMatch | undefined;

/** Of the best match so far and the next rule's, the one covering more tokens; the earlier on a tie. */
export function longer<T extends { next: number }>(best: T | undefined, match: T | undefined): T | undefined {
  return match && (!best || match.next > best.next) ? match : best;
}

/** Six digits at most: enough for any real count, and small enough that date maths stays exact. */
const COUNT_DIGITS = /^\d{1,6}$/;

/** A count written in digits or as a word ("3", "three", "a"). */
export function countAt(ctx: ParseContext, at: number): number | undefined {
  const word = ctx.words[at] ?? '';
  return COUNT_DIGITS.test(word) ? Number(word) : NUMBER_WORDS.get(word);
}

const YEAR_DIGITS = /^\d{4}$/;

export function yearAt(ctx: ParseContext, at: number): number | undefined {
  const word = ctx.words[at] ?? '';
  return YEAR_DIGITS.test(word) ? Number(word) : undefined;
}

/** A year after a phrase, optionally introduced by "of" ("summer of 2023"), with the position after it. */
export function trailingYear(ctx: ParseContext, at: number): { year: number; next: number } | undefined {
  const direct = yearAt(ctx, at);
  if (direct !== undefined) return { year: direct, next: at + 1 };
  const afterOf = ctx.words[at] === 'of' ? yearAt(ctx, at + 1) : undefined;
  return afterOf === undefined ? undefined : { year: afterOf, next: at + 2 };
}
