import { RECENT_WORDS } from './period-phrases';
import { HOLIDAYS, SEASONS } from './periods';
import { MONTHS, TIMES_OF_DAY, UNITS, WEEKDAYS } from './vocabulary';

/**
 * Words of which every time phrase holds at least one, unless it holds a digit: month, weekday, season
 * and unit names, times of day, each holiday's last word, and the phrases of one word ("today",
 * "recently"). Counts ("a", "two"), qualifiers ("last", "this") and lead-ins ("in", "the") only ever
 * come with one of these.
 */
const ANCHOR_WORDS = new Set([
  ...MONTHS.keys(),
  ...WEEKDAYS.keys(),
  ...UNITS.keys(),
  ...TIMES_OF_DAY.keys(),
  ...SEASONS.keys(),
  ...[...HOLIDAYS.keys()].map((name) => name.split(' ').at(-1)!),
  ...RECENT_WORDS,
  'today',
  'yesterday',
  'tonight',
  'quarter',
  'half',
]);

const DIGIT = /\d/;

/**
 * How far into a phrase its first anchor may come: an operator ("between", "since"), then a qualifier or
 * count ("last", "two", "first"), then the unit or name ("between | last | two | weeks").
 */
const ANCHOR_REACH = 3;

function isAnchor(word: string): boolean {
  return ANCHOR_WORDS.has(word) || DIGIT.test(word);
}

/**
 * For each word position, whether a phrase could start there: an anchor lies within ANCHOR_REACH words.
 * The grammar is tried only at those (trying it at every word of every search candidate was the costly
 * part of reading the times memories mention); every phrase the grammar's specs parse passes this way.
 */
export function possiblePhraseStarts(words: readonly string[]): boolean[] {
  const starts = new Array<boolean>(words.length).fill(false);
  for (let i = 0; i < words.length; i++) {
    if (!isAnchor(words[i])) continue;
    for (let start = Math.max(0, i - ANCHOR_REACH); start <= i; start++) starts[start] = true;
  }
  return starts;
}
