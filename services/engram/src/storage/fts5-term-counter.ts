import { foldCase, fts5Token, porterStem } from './fts5-porter';

/**
 * A run of what FTS5's unicode61 tokenizer keeps in a token: letters, digits, private use, and the
 * combining diacritics it folds away (other marks split words, as in FTS5). FTS5's Unicode tables are
 * older than JavaScript's: emoji added since count as letters there (🙂 is a token, 😀 is not), so a
 * text holding those is one or two tokens longer for FTS5 than here.
 */
const TOKEN = /[\p{L}\p{N}\p{Co}\u0300-\u036f]+/gu;

/** How long a document is in index tokens, and how often it holds each query term. */
export interface TermCounts {
  length: number;
  frequencies: number[];
}

/**
 * Counts a query's terms in a document's text as FTS5 indexes it (fts5-porter.ts). Only words that
 * could share a term's token are stemmed: a Porter stem changes at most its last letter relative to the
 * word it came from, so a word whose token is `t` begins with all of `t` but its last letter.
 */
export class Fts5TermCounter {
  private readonly tokens: string[];
  private readonly prefixes: string[];
  /** Which ASCII codes begin a term's token. */
  private readonly firstLetters: Uint8Array;

  constructor(terms: readonly string[]) {
    this.tokens = terms.map(fts5Token);
    this.prefixes = this.tokens.map((token) => token.slice(0, Math.max(1, token.length - 1)));
    // Digits and lower-case letters are unchanged by `| 0x20`, upper-case letters become lower case.
    this.firstLetters = new Uint8Array(0x80);
    for (const token of this.tokens) if (token.charCodeAt(0) < 0x80) this.firstLetters[token.charCodeAt(0)] = 1;
  }

  count(text: string): TermCounts {
    const frequencies = this.tokens.map(() => 0);
    let length = 0;
    // ASCII text (nearly all of it) is scanned by character code, a word looked at only when its first
    // letter begins a term; any other character sends the whole text to the general path.
    for (let start = 0; start < text.length;) {
      const code = text.charCodeAt(start);
      if (code >= 0x80) return this.countAnyText(text.toLowerCase());
      if (!isAsciiWordCode(code)) {
        start++;
        continue;
      }
      let end = start + 1;
      for (; end < text.length; end++) {
        const next = text.charCodeAt(end);
        if (next >= 0x80) return this.countAnyText(text.toLowerCase());
        if (!isAsciiWordCode(next)) break;
      }
      length++;
      if (this.firstLetters[code | 0x20] === 1) this.tally(text, start, end, frequencies);
      start = end;
    }
    return { length, frequencies };
  }

  private countAnyText(lower: string): TermCounts {
    const frequencies = this.tokens.map(() => 0);
    let length = 0;
    for (const [raw] of lower.matchAll(TOKEN)) {
      length++;
      const word = foldCase(raw);
      this.tally(word, 0, word.length, frequencies);
    }
    return { length, frequencies };
  }

  /** Counts the word text[start, end) for the terms whose token it is. */
  private tally(text: string, start: number, end: number, frequencies: number[]): void {
    for (let i = 0; i < this.prefixes.length; i++) {
      if (!beginsWith(text, start, end, this.prefixes[i])) continue;
      const token = porterStem(text.slice(start, end).toLowerCase());
      for (let j = i; j < this.tokens.length; j++) if (this.tokens[j] === token) frequencies[j]++;
      return;
    }
  }
}

/** Whether the word text[start, end) begins with the (lower-case) prefix, ignoring ASCII case. */
function beginsWith(text: string, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const code = text.charCodeAt(start + i);
    if ((code < 0x80 ? code | 0x20 : code) !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/** 0-9, A-Z and a-z: FTS5's token characters below 0x80. */
function isAsciiWordCode(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a);
}
