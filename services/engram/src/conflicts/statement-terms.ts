/**
 * The words of a short statement as the contradiction detector reads them: content words (no stop
 * words), and the values they carry (numbers, times, dates, month and weekday names, frequencies, names
 * written with a capital inside the sentence), each value with the content word it qualifies.
 */

const STOP_WORDS = new Set(
  (
    'a an the and or but if of to in on at by for from with as into onto about over under per via is are was ' +
    'were be been being am has have had do does did will would shall should can could may might must it its ' +
    'this that these those there here he she they we you i me my mine our ours your yours his her hers their ' +
    'them us who whom which what when where why how all any each every some such than then so too very just ' +
    'also only up down out off again once s t one'
  ).split(' '),
);
const NEGATIONS = new Set(['not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'cannot']);
const NUMBER_WORDS: Record<string, string> = {
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  ten: '10',
  eleven: '11',
  twelve: '12',
  twenty: '20',
  thirty: '30',
  forty: '40',
  fifty: '50',
  hundred: '100',
};
/** Closed sets whose members exclude each other when said of the same thing. */
const VALUE_CLASSES: string[][] = [
  [
    'january',
    'february',
    'march',
    'april',
    'may',
    'june',
    'july',
    'august',
    'september',
    'october',
    'november',
    'december',
  ],
  ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
  ['hourly', 'daily', 'weekly', 'fortnightly', 'monthly', 'quarterly', 'yearly', 'annually'],
];
const CLASS_OF = new Map(VALUE_CLASSES.flatMap((members, index) => members.map((member) => [member, index])));
/** Pairs of words that say opposite things about the same subject. */
const OPPOSITES: [string, string][] = [
  ['open', 'closed'],
  ['left', 'right'],
  ['junior', 'senior'],
  ['single', 'married'],
  ['enabled', 'disabled'],
  ['allowed', 'forbidden'],
  ['public', 'private'],
  ['always', 'never'],
  ['increase', 'decrease'],
  ['minimum', 'maximum'],
];

export interface StatementValue {
  value: string;
  /** The nearest content word before it (after it when none), which says what the value is of. */
  context: string;
}

export interface StatementTerms {
  /** Content words, lower-cased, without stop words, negations and values. */
  words: Set<string>;
  values: StatementValue[];
  negated: boolean;
  /** Every lower-cased token, hyphenated words split too (for opposites). */
  tokens: Set<string>;
}

interface Token {
  text: string;
  lower: string;
  /** First word of a sentence: its capital says nothing. */
  initial: boolean;
}

/** Statements longer than this are read only up to here: the detector is for short facts. */
const MAX_CHARS = 2_000;

export function statementTerms(content: string): StatementTerms {
  const tokens = tokenize(content.slice(0, MAX_CHARS));
  const words = new Set<string>();
  const values: { value: string; index: number }[] = [];
  const contentAt: (string | undefined)[] = [];
  let negated = false;
  tokens.forEach((token, index) => {
    if (NEGATIONS.has(token.lower) || token.lower.endsWith("n't")) negated = true;
    const value = valueOf(token);
    if (value !== undefined) values.push({ value, index });
    else if (!STOP_WORDS.has(token.lower) && !NEGATIONS.has(token.lower)) {
      words.add(token.lower);
      contentAt[index] = token.lower;
    }
  });
  return {
    words,
    negated,
    values: values.map(({ value, index }) => ({ value, context: contextOf(contentAt, index) })),
    tokens: new Set(tokens.flatMap((token) => [token.lower, ...token.lower.split('-')])),
  };
}

/** Pairs of opposite words split between the two statements (one says a, the other b). */
export function opposites(first: StatementTerms, second: StatementTerms): string[] {
  return OPPOSITES.filter(
    ([a, b]) =>
      (first.tokens.has(a) && second.tokens.has(b) && !first.tokens.has(b) && !second.tokens.has(a)) ||
      (first.tokens.has(b) && second.tokens.has(a) && !first.tokens.has(a) && !second.tokens.has(b)),
  ).map(([a, b]) => `${a}/${b}`);
}

/**
 * Whether two values can stand for the same thing: members of one closed set (months, weekdays,
 * frequencies), two numbers, or two names.
 */
export function sameValueClass(a: string, b: string): boolean {
  return kindOf(a) === kindOf(b);
}

function kindOf(value: string): string {
  const index = CLASS_OF.get(value);
  if (index !== undefined) return `class-${index}`;
  return /^\p{N}/u.test(value) ? 'number' : 'name';
}

function tokenize(content: string): Token[] {
  const tokens: Token[] = [];
  let initial = true;
  for (const match of content.matchAll(/[\p{L}\p{N}][\p{L}\p{N}:.@'’-]*[\p{L}\p{N}]|[\p{L}\p{N}]|[.!?;]/gu)) {
    const text = match[0].replace(/['’]s$/u, '');
    if (/^[.!?;]$/.test(text)) {
      initial = true;
      continue;
    }
    tokens.push({ text, lower: text.toLowerCase(), initial });
    initial = false;
  }
  return tokens;
}

function valueOf(token: Token): string | undefined {
  if (/^\p{N}/u.test(token.text)) return token.lower.replace(/(st|nd|rd|th)$/, '');
  // Identifiers with digits in them (eu-west-1, v2, Orion-5G) are values too.
  if (/\p{N}/u.test(token.text)) return token.lower;
  if (NUMBER_WORDS[token.lower]) return NUMBER_WORDS[token.lower];
  if (CLASS_OF.has(token.lower)) return token.lower;
  if (!token.initial && /^\p{Lu}/u.test(token.text)) return token.lower;
  return undefined;
}

function contextOf(contentAt: readonly (string | undefined)[], index: number): string {
  for (let i = index - 1; i >= 0; i--) if (contentAt[i] !== undefined) return contentAt[i]!;
  for (let i = index + 1; i < contentAt.length; i++) if (contentAt[i] !== undefined) return contentAt[i]!;
  return '';
}
