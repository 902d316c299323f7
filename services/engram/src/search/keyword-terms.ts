/**
 * Turns free text into keyword-search terms: words of letters and digits, lower-cased, deduplicated,
 * common function words dropped (they match almost every memory and drown the signal). Operators and
 * punctuation never reach the index's query language.
 */
const STOP_WORDS = new Set(
  // The usual English list (Snowball/NLTK): words that say how a sentence is built, not what it is about.
  (
    'a about above after again against all am an and any are as at be because been before being below between ' +
    'both but by can could d did do does doing don down during each few for from further had has have having he ' +
    'her here hers herself him himself his how i if in into is it its itself just ll m me more most my myself no ' +
    'nor not now o of off on once only or other our ours ourselves out over own re s same she should so some such ' +
    't than that the their theirs them themselves then there these they this those through to too under until up ' +
    've very was we were what when where which while who whom why will with would you your yours yourself ' +
    'yourselves'
  ).split(' '),
);

export const MAX_KEYWORD_TERMS = 32;

export function keywordTerms(text: string): string[] {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  const meaningful = words.filter((word) => !STOP_WORDS.has(word));
  return (meaningful.length > 0 ? meaningful : words).slice(0, MAX_KEYWORD_TERMS);
}
