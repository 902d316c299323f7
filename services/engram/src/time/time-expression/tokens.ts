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

/** Splits on whitespace (as `\s` in a regular expression). Linear time, no backtracking: the input is user-controlled. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const space = i === text.length || isSpace(text.charCodeAt(i));
    if (space && start >= 0) {
      const token = trimPunctuation(text, start, i);
      if (token) tokens.push(token);
      start = -1;
    } else if (!space && start < 0) {
      start = i;
    }
  }
  return tokens;
}

function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** The word text[from, to) without surrounding punctuation, or undefined when nothing else is left. */
function trimPunctuation(text: string, from: number, to: number): Token | undefined {
  let start = from;
  let end = to;
  while (start < end && OPENING_PUNCTUATION.has(text[start])) start++;
  while (end > start && CLOSING_PUNCTUATION.has(text[end - 1])) end--;
  // A sentence's full stop goes, but ".." is range syntax ("2024-01-01..").
  if (end - start > 1 && text[end - 1] === '.' && text[end - 2] !== '.') end--;
  if (start === end) return undefined;
  const lower = text.slice(start, end).toLowerCase();
  const word = lower.includes('\u2019') ? lower.replace(/\u2019/g, "'") : lower;
  return { word: stripPossessive(word), start, end };
}

function stripPossessive(word: string): string {
  return word.endsWith("'s") && word.length > 2 ? word.slice(0, -2) : word;
}
