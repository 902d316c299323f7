/**
 * The merged text of near-duplicates, without a model: the kept member's text, then each sentence of
 * the others that says something it does not (at least MIN_NEW_WORDS words it lacks). Near-identical
 * rewordings add nothing, so most merges keep the kept member's text as it is.
 */

/** Words a sentence must add before it is joined: one differing word is a rewording, not a new fact. */
const MIN_NEW_WORDS = 2;

export function mergedText(kept: string, others: readonly string[]): string {
  const words = wordsOf(kept);
  const added: string[] = [];
  for (const text of others) {
    for (const sentence of sentencesOf(text)) {
      const fresh = [...wordsOf(sentence)].filter((word) => !words.has(word));
      if (fresh.length < MIN_NEW_WORDS) continue;
      added.push(sentence);
      for (const word of wordsOf(sentence)) words.add(word);
    }
  }
  if (added.length === 0) return kept;
  const base = kept.trim();
  return [/[.!?]$/.test(base) ? base : `${base}.`, ...added].join(' ');
}

/**
 * The form in which two texts count as exact duplicates: Unicode-normalised (NFKC), lower-cased, every
 * run of whitespace one space, trimmed. ("Buy  milk\n" and "buy milk" are one text.)
 */
export function normalisedText(content: string): string {
  return content.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/u)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

function wordsOf(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word) => word.length > 1));
}
