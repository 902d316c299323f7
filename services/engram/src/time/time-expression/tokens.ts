/** A whitespace-separated word of the input, normalised for matching, with its place in the original text. */
export interface Token {
  /** Lower-cased, surrounding punctuation and a possessive "'s" removed: "Yesterday's," → "yesterday". */
  word: string;
  /** Offsets of the word in the original text, so a phrase can be cut out of it exactly. */
  start: number;
  end: number;
}

const OPENING_PUNCTUATION = new Set(['(', '[', '"', "'"]);
const CLOSING_PUNCTUATION = new Set([')', ']', '"', "'", ',', ';', ':', '!', '?']);

/** Splits on whitespace. Linear time, no backtracking: the input is user-controlled. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(/\S+/g)) {
    const token = trimPunctuation(match[0], match.index);
    if (token) tokens.push(token);
  }
  return tokens;
}

function trimPunctuation(raw: string, offset: number): Token | undefined {
  let start = 0;
  let end = raw.length;
  while (start < end && OPENING_PUNCTUATION.has(raw[start])) start++;
  while (end > start && CLOSING_PUNCTUATION.has(raw[end - 1])) end--;
  // A sentence's full stop goes, but ".." is range syntax ("2024-01-01..").
  if (end - start > 1 && raw[end - 1] === '.' && raw[end - 2] !== '.') end--;
  if (start === end) return undefined;
  const word = raw
    .slice(start, end)
    .toLowerCase()
    .replace(/\u2019/g, "'");
  return { word: stripPossessive(word), start: offset + start, end: offset + end };
}

function stripPossessive(word: string): string {
  return word.endsWith("'s") && word.length > 2 ? word.slice(0, -2) : word;
}
