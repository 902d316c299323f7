/**
 * Turns free text into keyword-search terms: words of letters and digits, lower-cased, deduplicated,
 * common function words dropped (they match almost every memory and drown the signal). Operators and
 * punctuation never reach the index's query language.
 */
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her hers him his how i if ' +
    'in into is it its me my no not of on or our she so than that the their them then there these they this ' +
    'those to was we were what when where which who whom why will with would you your yours'
  ).split(' '),
);

export const MAX_KEYWORD_TERMS = 32;

export function keywordTerms(text: string): string[] {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  const meaningful = words.filter((word) => !STOP_WORDS.has(word));
  return (meaningful.length > 0 ? meaningful : words).slice(0, MAX_KEYWORD_TERMS);
}
