/**
 * What a query and one candidate memory say about each other beyond the two retrieval legs: how many of
 * the query's words and names the memory holds, whether it is a bare fragment, whether it says when
 * something happened. Pure functions of text, so they behave the same for every store.
 */
import { keywordTerms } from './keyword-terms';
import { extractTimeExpression, findTimeRange, TimeRange } from '../time/time-expression';

/** What is worked out once per query and reused for every candidate. */
export interface QueryFacts {
  /** Keyword terms, reduced to their stems. */
  stems: string[];
  /** Names the query mentions (capitalised words that are not question or function words), as stems. */
  names: string[];
  /** The query asks when or how long ago something happened. */
  asksWhen: boolean;
  /** The period the query names ("in October 2023", "last week"), resolved against the time of asking. */
  period?: TimeRange;
}

/** When a query is asked, for resolving the time phrases it holds. */
export interface QueryClock {
  now: Date;
  timeZone: string;
}

/** Words that start a question or a sentence with a capital letter without naming anything. */
const NOT_NAMES = new Set(
  (
    'what when where who whom whose which why how did does do is was were are am be been would could should ' +
    'can will shall has have had may might must i a an the in on at of for and or but if to from with by as ' +
    'after before during since until about into over than then there this that these those it its my your our ' +
    'their his her he she we they you me him them us yes no not please tell give list name describe explain'
  ).split(' '),
);

/** How-long and when questions: their answer is a time, so a memory that states one is more likely it. */
const WHEN_QUESTION = /\b(when|how long|how many (days|weeks|months|years)|what (year|month|day|date|time))\b/i;

/**
 * Time phrases that place an event without naming a range the time grammar resolves ("last weekend",
 * "a few weeks ago", "next month", "tomorrow", "for 4 years", "since 2019"): enough to say that a memory
 * states when, not enough to say which days.
 */
const TIME_MENTION = new RegExp(
  String.raw`\b(?:(?:last|next|this past|past|coming|over the)\s+(?:week(?:end)?|month|year|summer|winter|spring|fall|autumn|mon|tue|wed|thu|fri|sat|sun)\w*` +
    String.raw`|(?:a|one|two|three|four|five|six|few|couple of|several|\d+)\s+(?:\w+\s+)?(?:days?|weeks?|weekends?|months?|years?)\s+(?:ago|back)` +
    String.raw`|tomorrow|tonight|yesterday|recently|lately|(?:for|since)\s+(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:days?|weeks?|months?|years?)` +
    String.raw`|since\s+(?:19|20)\d\d|(?:in|since)\s+(?:19|20)\d\d)\b`,
  'i',
);

/** Whether a text locates an event in time by a phrase the grammar may not resolve (TIME_MENTION). */
export function mentionsTime(content: string): boolean {
  return TIME_MENTION.test(content);
}

/** Under this many words a memory is a fragment ("Go for it!") that rarely answers anything. */
const FRAGMENT_WORDS = 10;

export function queryFacts(query: string, clock?: QueryClock): QueryFacts {
  const capitalised = query.match(/\p{Lu}[\p{L}\p{N}]*(?:['’]\p{L}+)?/gu) ?? [];
  const names = capitalised
    .map((word) => word.replace(/['’]s$/u, '').toLowerCase())
    .filter((word) => !NOT_NAMES.has(word))
    .map(stem);
  return {
    stems: [...new Set(keywordTerms(query).map(stem))],
    names: [...new Set(names)],
    asksWhen: WHEN_QUESTION.test(query),
    period: clock && extractTimeExpression(query, clock.now, clock.timeZone).range,
  };
}

/** Share of the query's keyword stems the text contains (0 when the query has none). */
export function termCoverage(facts: QueryFacts, words: ReadonlySet<string>): number {
  if (facts.stems.length === 0) return 0;
  return facts.stems.filter((term) => words.has(term)).length / facts.stems.length;
}

/** Share of the names in the query that the text mentions (0 when the query names no one). */
export function nameCoverage(facts: QueryFacts, words: ReadonlySet<string>): number {
  if (facts.names.length === 0) return 0;
  return facts.names.filter((name) => words.has(name)).length / facts.names.length;
}

/**
 * Whether the text opens with a name the query mentions ("Maria: …", "Maria's sister moved…"): it is said
 * by or about that person, where one that names them further in is mostly about someone else ("Tomas
 * helped Maria move"). False when the query names no one.
 */
export function opensWithName(facts: QueryFacts, content: string): boolean {
  const first = /^[^\p{L}\p{N}]*([\p{L}\p{N}]+)/u.exec(content)?.[1];
  return first !== undefined && facts.names.includes(stem(first.toLowerCase()));
}

/** 1 for an empty text, falling to 0 at FRAGMENT_WORDS words and beyond. */
export function brevity(wordCount: number): number {
  return Math.max(0, 1 - wordCount / FRAGMENT_WORDS);
}

/** The stems of a text's words, for coverage checks. */
export function stemSet(text: string): Set<string> {
  const stems = new Set<string>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) stems.add(knownStem(word));
  return stems;
}

/** Stems already worked out: a search reads a few hundred texts made mostly of the same few thousand words. */
const STEMS_KEPT = 50_000;
const stems = new Map<string, string>();

function knownStem(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    if (stems.size >= STEMS_KEPT) stems.clear();
    stemmed = stem(word);
    stems.set(word, stemmed);
  }
  return stemmed;
}

/**
 * When the event a memory describes happened: its first time phrase ("yesterday", "last June", "on
 * 3 May") resolved against the time the memory was written, not against today. Undefined when the
 * text names no time.
 */
export function eventTime(content: string, createdAtMs: number, timeZone: string): TimeRange | undefined {
  return findTimeRange(content, new Date(createdAtMs), timeZone);
}

/**
 * 1 when the query names a period and the memory's event falls in it: the event's time is the memory's
 * own time phrase resolved against when it was written (`eventTime`: "last week" in a note of 8 May is
 * late April), else the moment it was written. 0 when the query names no period.
 */
export function inPeriod(period: TimeRange | undefined, event: TimeRange | undefined, createdAtMs: number): number {
  if (!period) return 0;
  return overlaps(period, event ?? { startMs: createdAtMs, endMs: createdAtMs + 1 }) ? 1 : 0;
}

function overlaps(a: TimeRange, b: TimeRange): boolean {
  const startsBeforeBEnds = a.startMs === undefined || b.endMs === undefined || a.startMs < b.endMs;
  const endsAfterBStarts = a.endMs === undefined || b.startMs === undefined || a.endMs > b.startMs;
  return startsBeforeBEnds && endsAfterBStarts;
}

/**
 * A light suffix stripper (plurals, -ing, -ed, -ly, a final e, a doubled consonant): enough for
 * "painted" to meet "paint", "dancing" to meet "dance" and "activities" to meet "activity" without a
 * stemming library. Words of three letters or fewer are left alone.
 */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  let base = word;
  if (/ie[sd]$/.test(base) && base.length > 4) base = `${base.slice(0, -3)}y`;
  else if (base.endsWith('sses')) base = base.slice(0, -2);
  else if (base.endsWith('s') && !/(ss|us|is)$/.test(base)) base = base.slice(0, -1);
  for (const suffix of ['ing', 'ed', 'ly']) {
    if (base.endsWith(suffix) && base.length - suffix.length >= 3) {
      base = base.slice(0, -suffix.length);
      if (/([^aeiouls])\1$/.test(base)) base = base.slice(0, -1);
      break;
    }
  }
  return base.length > 3 && base.endsWith('e') ? base.slice(0, -1) : base;
}
