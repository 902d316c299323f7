import { InvalidTimeExpression } from '../../common/domain-errors';
import type { TimeRange } from '../time-expression';
import { dayPhrase, timeOfDayPhrase } from './day-phrases';
import {
  halfYear,
  isoToken,
  namedPeriod,
  periodsAgo,
  previousOrCurrentPeriod,
  quarter,
  recently,
  rollingWindow,
  wholeYear,
} from './period-phrases';
import { possiblePhraseStarts } from './anchors';
import { longer, ParseContext, PhraseMatch, PhraseRule } from './phrase-types';
import { LEAD_IN_WORDS, wordTable } from './vocabulary';

/*
 * The grammar is a set of rules tried at a token position, the longest match winning. Operators
 * ("between", "since", …) take simple phrases as operands, never other operators, so parsing does
 * a fixed amount of work per token and cannot recurse deeply, whatever the input.
 */

const SIMPLE_PHRASES: readonly PhraseRule[] = [
  dayPhrase,
  timeOfDayPhrase,
  periodsAgo,
  previousOrCurrentPeriod,
  rollingWindow,
  recently,
  namedPeriod,
  quarter,
  halfYear,
  wholeYear,
  isoToken,
];

const simplePhrase: PhraseRule = (ctx, at) => {
  let best: PhraseMatch | undefined;
  for (const rule of SIMPLE_PHRASES) best = longer(best, rule(ctx, at));
  return best;
};

const RANGE_END_WORDS = new Set(['to', 'until', 'till', 'through', 'thru']);

/** Said of a range whose dated end comes first: the phrase was understood, so examples would not help. */
const REVERSED_RANGE = 'ends before it starts: put the earlier date first';

/** "between X and Y", "from X to Y": from the start of X to the end of Y. */
const spanBetween: PhraseRule = (ctx, at) => {
  const opener = ctx.words[at];
  if (opener !== 'between' && opener !== 'from') return undefined;
  const first = simplePhrase(ctx, at + 1);
  const joiner = first ? ctx.words[first.next] : undefined;
  const joined = opener === 'between' ? joiner === 'and' : RANGE_END_WORDS.has(joiner ?? '');
  const second = first && joined ? simplePhrase(ctx, first.next + 1) : undefined;
  const startMs = first?.range.startMs;
  const endMs = second?.range.endMs;
  if (!first || !second || startMs === undefined || endMs === undefined) return undefined;
  // Each side resolves to its latest occurrence, so on a Wednesday "between monday and friday" puts
  // friday before monday: the friday meant has not come yet, and the range runs up to now. An end that
  // names its year ("2024-01-01", "1 may 2023") has no later occurrence: reversed, it is a mistake.
  const endNamesYear = ctx.words.slice(first.next + 1, second.next).some((word) => /\d{4}/.test(word));
  if (endMs <= startMs && endNamesYear) ctx.time.reject(REVERSED_RANGE);
  const range = endMs > startMs ? { startMs, endMs } : { startMs, endMs: ctx.time.nowMs };
  if (range.endMs <= range.startMs) ctx.time.reject();
  return { range, next: second.next };
};

/** Open ranges: "since X" from the start of X, "after X" from its end, "before X" to its start, "until X" its end. */
const OPEN_RANGES = wordTable<(operand: TimeRange) => TimeRange>({
  since: (operand) => ({ startMs: operand.startMs }),
  after: (operand) => ({ startMs: operand.endMs }),
  before: (operand) => ({ endMs: operand.startMs }),
  until: (operand) => ({ endMs: operand.endMs }),
  till: (operand) => ({ endMs: operand.endMs }),
});

const openRange: PhraseRule = (ctx, at) => {
  const open = OPEN_RANGES.get(ctx.words[at]);
  const operand = open && simplePhrase(ctx, at + 1);
  if (!open || !operand) return undefined;
  const range = open(operand.range);
  return range.startMs === undefined && range.endMs === undefined ? undefined : { range, next: operand.next };
};

function phraseAt(ctx: ParseContext, at: number): PhraseMatch | undefined {
  return longer(longer(spanBetween(ctx, at), openRange(ctx, at)), simplePhrase(ctx, at));
}

/** The range of a text that is one time phrase, possibly led in ("in march", "over the past week"). */
export function parseWholePhrase(ctx: ParseContext): TimeRange | undefined {
  const possible = possiblePhraseStarts(ctx.words);
  for (let start = 0; start < ctx.words.length; start++) {
    const match = possible[start] ? phraseAt(ctx, start) : undefined;
    if (match?.next === ctx.words.length) return match.range;
    if (!LEAD_IN_WORDS.has(ctx.words[start])) return undefined;
  }
  return undefined;
}

/** A time phrase found inside a query: tokens [first, next) to cut out, lead-in words included. */
export interface FoundPhrase {
  range: TimeRange;
  first: number;
  next: number;
}

/** The leftmost time phrase in a query. Phrases that mostly mean something else need a lead-in word. */
export function findPhrase(ctx: ParseContext): FoundPhrase | undefined {
  const possible = possiblePhraseStarts(ctx.words);
  for (let at = 0; at < ctx.words.length; at++) {
    const match = possible[at] ? phraseUnlessImpossible(ctx, at) : undefined;
    if (match && (!match.ambiguous || followsLeadIn(ctx, at))) {
      return { range: match.range, first: leadInStart(ctx, at), next: match.next };
    }
  }
  return undefined;
}

/** Inside a free-text query an impossible date ("3/45 tests failing") is taken as not being a date at all. */
function phraseUnlessImpossible(ctx: ParseContext, at: number): PhraseMatch | undefined {
  try {
    return phraseAt(ctx, at);
  } catch (error) {
    if (error instanceof InvalidTimeExpression) return undefined;
    throw error;
  }
}

/** "in may", "during the spring": a lead-in word other than "the", optionally followed by "the". */
function followsLeadIn(ctx: ParseContext, at: number): boolean {
  const before = ctx.words[at - 1] === 'the' ? at - 2 : at - 1;
  return before >= 0 && ctx.words[before] !== 'the' && LEAD_IN_WORDS.has(ctx.words[before]);
}

function leadInStart(ctx: ParseContext, at: number): number {
  let start = at;
  while (start > 0 && LEAD_IN_WORDS.has(ctx.words[start - 1])) start--;
  return start;
}
