/**
 * Natural-language time expressions ("yesterday evening", "last week", "between march and may",
 * "since 2024-01-01") turned into time ranges, resolved in a configured IANA time zone. A pure
 * module: the clock and the zone are arguments.
 */
import { InvalidTimeExpression } from '../common/domain-errors';
import { findPhrase, parseWholePhrase } from './time-expression/grammar';
import type { ParseContext } from './time-expression/phrase-types';
import { TimeContext } from './time-expression/time-context';
import { Token, tokenize } from './time-expression/tokens';
import { ZonedCalendar } from './time-expression/zoned-calendar';

/** Half-open [startMs, endMs) in epoch milliseconds; a missing bound is open. */
export interface TimeRange {
  startMs?: number;
  endMs?: number;
}

export const MAX_TIME_EXPRESSION_LENGTH = 500;

/** How much of an over-long input the error quotes back. */
const QUOTED_PREFIX_LENGTH = 60;

/**
 * Throws InvalidTimeExpression (naming the phrase) when nothing parses or input is longer than the cap.
 * An unknown `timeZone` or an invalid `now` is a programming error and throws RangeError, as Intl does.
 */
export function parseTimeExpression(text: string, now: Date, timeZone: string): TimeRange {
  const phrase = text.trim();
  if (text.length > MAX_TIME_EXPRESSION_LENGTH) {
    throw new InvalidTimeExpression(`${phrase.slice(0, QUOTED_PREFIX_LENGTH)}…`);
  }
  const range = parseWholePhrase(parseContext(phrase, tokenize(phrase), now, timeZone));
  if (!range) throw new InvalidTimeExpression(phrase);
  return withoutOpenBounds(range);
}

/**
 * For "recall" queries mixing a time phrase and a topic: finds the time phrase, returns its range and the
 * remaining query text (phrase removed, whitespace tidied). range undefined when no time phrase is present.
 * Words that are time phrases alone but usually mean something else ("may", "spring", "2024", "3/4")
 * count only after a lead-in word ("in may"); a date that cannot exist is left in the text.
 */
export function extractTimeExpression(query: string, now: Date, timeZone: string): { range?: TimeRange; rest: string } {
  const tokens = tokenize(query);
  const found = findPhrase(parseContext(query, tokens, now, timeZone));
  if (!found) return { rest: tidyWhitespace(query) };
  const before = query.slice(0, tokens[found.first].start);
  const after = query.slice(tokens[found.next - 1].end);
  return { range: withoutOpenBounds(found.range), rest: tidyWhitespace(`${before} ${after}`) };
}

/** The range of a text's leftmost time phrase, as extractTimeExpression finds it; undefined when none. */
export function findTimeRange(text: string, now: Date, timeZone: string): TimeRange | undefined {
  const found = findPhrase(parseContext(text, tokenize(text), now, timeZone));
  return found && withoutOpenBounds(found.range);
}

function parseContext(text: string, tokens: readonly Token[], now: Date, timeZone: string): ParseContext {
  const words = tokens.map((token) => token.word);
  return { words, time: new TimeContext(text, now.getTime(), new ZonedCalendar(timeZone)) };
}

/** Open bounds are absent rather than present-but-undefined, so callers and JSON see one shape. */
function withoutOpenBounds(range: TimeRange): TimeRange {
  const result: TimeRange = {};
  if (range.startMs !== undefined) result.startMs = range.startMs;
  if (range.endMs !== undefined) result.endMs = range.endMs;
  return result;
}

/** Collapses the gap a removed phrase leaves, including before punctuation and at the start. */
function tidyWhitespace(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/ ([,.;:!?])/g, '$1')
    .trim()
    .replace(/^[,;:]\s*/, '');
}
