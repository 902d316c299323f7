/**
 * The keyword index's tokens, computed in JavaScript: what SQLite's FTS5 tokenizer
 * `porter unicode61 remove_diacritics 2` (migration 001) makes of a word — case folded, Latin diacritics
 * removed, then reduced by the Porter stemmer as FTS5 implements it (its rule order and its treatment
 * of "y" included). Keyword ranking counts a query term's occurrences in a candidate with it instead of
 * asking FTS5's bm25(), whose IDF walks every memory holding each term on every query
 * (sqlite-keyword-ranking.ts). A spec compares it with FTS5's own tokens over a large vocabulary.
 */

/** FTS5 leaves tokens shorter or longer than these (in UTF-8 bytes) unstemmed. */
const MIN_STEMMED_BYTES = 3;
const MAX_STEMMED_BYTES = 64;

type Rule = readonly [suffix: string, replacement: string];

/**
 * Steps 2–4 as FTS5 applies them: rules are grouped by the word's second-to-last letter and tried in
 * order; the first suffix that fits (with a stem left over) decides, whether or not its condition holds.
 */
const STEP_2: Record<string, readonly Rule[]> = {
  a: [
    ['ational', 'ate'],
    ['tional', 'tion'],
  ],
  c: [
    ['enci', 'ence'],
    ['anci', 'ance'],
  ],
  e: [['izer', 'ize']],
  g: [['logi', 'log']],
  l: [
    ['bli', 'ble'],
    ['alli', 'al'],
    ['entli', 'ent'],
    ['eli', 'e'],
    ['ousli', 'ous'],
  ],
  o: [
    ['ization', 'ize'],
    ['ation', 'ate'],
    ['ator', 'ate'],
  ],
  s: [
    ['alism', 'al'],
    ['iveness', 'ive'],
    ['fulness', 'ful'],
    ['ousness', 'ous'],
  ],
  t: [
    ['aliti', 'al'],
    ['iviti', 'ive'],
    ['biliti', 'ble'],
  ],
};
const STEP_3: Record<string, readonly Rule[]> = {
  a: [['ical', 'ic']],
  s: [['ness', '']],
  t: [
    ['icate', 'ic'],
    ['iciti', 'ic'],
  ],
  u: [['ful', '']],
  v: [['ative', '']],
  z: [['alize', 'al']],
};
const STEP_4: Record<string, readonly string[]> = {
  a: ['al'],
  c: ['ance', 'ence'],
  e: ['er'],
  i: ['ic'],
  l: ['able', 'ible'],
  n: ['ant', 'ement', 'ment', 'ent'],
  o: ['ion', 'ou'],
  s: ['ism'],
  t: ['ate', 'iti'],
  u: ['ous'],
  v: ['ive'],
  z: ['ize'],
};

/** The index token of one word as FTS5 reads it (a run of letters, digits and marks). */
export function fts5Token(word: string): string {
  return porterStem(foldCase(word));
}

/**
 * Lower case, with the diacritics of Latin letters removed (remove_diacritics 2); other scripts keep
 * theirs, as in FTS5, which also folds the few letters whose lower case is another letter.
 */
export function foldCase(word: string): string {
  const lower = word.toLowerCase();
  if (isAscii(lower)) return lower;
  return lower
    .normalize('NFD')
    .replace(LATIN_MARKS, '$1')
    .normalize('NFC')
    .replace(FOLDED_LETTERS, (letter) => FOLDS[letter]);
}

/** Unicode case folding where it differs from lower case, as FTS5 folds (micro sign, final sigma, long s). */
const FOLDS: Record<string, string> = { µ: 'μ', ς: 'σ', ſ: 's' };
const FOLDED_LETTERS = /[µςſ]/gu;

/** A Latin letter followed by combining marks: the letter alone is kept. */
const LATIN_MARKS = /([a-z\u00c0-\u024f\u1e00-\u1eff])\p{Mn}+/gu;

function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text);
}

/**
 * FTS5's Porter stemmer over an already folded token. FTS5 works on UTF-8 bytes, so a token with
 * characters outside ASCII is stemmed as its bytes (each non-ASCII byte a consonant), as FTS5 does.
 */
export function porterStem(token: string): string {
  const ascii = isAscii(token);
  const bytes = ascii ? token : Buffer.from(token, 'utf8').toString('latin1');
  if (bytes.length < MIN_STEMMED_BYTES || bytes.length > MAX_STEMMED_BYTES) return token;
  const stemmed = stemBytes(bytes);
  return ascii ? stemmed : Buffer.from(stemmed, 'latin1').toString('utf8');
}

function stemBytes(word: string): string {
  let w = step1b(step1a(word));
  if (w.endsWith('y') && hasVowel(w, w.length - 1)) w = `${w.slice(0, -1)}i`;
  w = replaceSuffix(w, STEP_2, 1);
  w = replaceSuffix(w, STEP_3, 1);
  w = removeStep4Suffix(w);
  if (w.endsWith('e')) {
    const m = measure(w, w.length - 1);
    if (m > 1 || (m === 1 && !endsConsonantVowelConsonant(w, w.length - 1))) w = w.slice(0, -1);
  }
  if (w.length > 1 && w.endsWith('ll') && measure(w, w.length - 1) > 1) w = w.slice(0, -1);
  return w;
}

function step1a(w: string): string {
  const n = w.length;
  if (w[n - 1] !== 's') return w;
  if (w[n - 2] === 'e') {
    const strip2 = (n > 4 && w[n - 4] === 's' && w[n - 3] === 's') || (n > 3 && w[n - 3] === 'i');
    return w.slice(0, strip2 ? -2 : -1);
  }
  return w[n - 2] === 's' ? w : w.slice(0, -1);
}

/** "eed" → "ee" when m > 0; otherwise "ed" or "ing" after a vowel goes, and the stem is tidied. */
function step1b(w: string): string {
  const n = w.length;
  if (w[n - 2] === 'e') {
    if (n > 3 && w.endsWith('eed')) return measure(w, n - 3) > 0 ? w.slice(0, -1) : w;
    if (n > 2 && w.endsWith('ed') && hasVowel(w, n - 2)) return step1bTidy(w.slice(0, -2));
  } else if (w[n - 2] === 'n' && n > 3 && w.endsWith('ing') && hasVowel(w, n - 3)) {
    return step1bTidy(w.slice(0, -3));
  }
  return w;
}

/** After "ed"/"ing" went: at → ate, bl → ble, iz → ize; else undouble a consonant, or add "e" (hop → hope). */
function step1bTidy(w: string): string {
  const n = w.length;
  if (n > 2 && (w.endsWith('at') || w.endsWith('bl') || w.endsWith('iz'))) return `${w}e`;
  const last = w[n - 1];
  if (!isVowel(last, false) && last !== 'l' && last !== 's' && last !== 'z' && last === w[n - 2]) {
    return w.slice(0, -1);
  }
  if (measure(w, n) === 1 && endsConsonantVowelConsonant(w, n)) return `${w}e`;
  return w;
}

function replaceSuffix(w: string, rules: Record<string, readonly Rule[]>, minMeasure: number): string {
  for (const [suffix, replacement] of rules[w[w.length - 2]] ?? []) {
    if (w.length <= suffix.length || !w.endsWith(suffix)) continue;
    const stem = w.length - suffix.length;
    return measure(w, stem) >= minMeasure ? w.slice(0, stem) + replacement : w;
  }
  return w;
}

function removeStep4Suffix(w: string): string {
  for (const suffix of STEP_4[w[w.length - 2]] ?? []) {
    if (w.length <= suffix.length || !w.endsWith(suffix)) continue;
    const stem = w.length - suffix.length;
    const holds = measure(w, stem) > 1 && (suffix !== 'ion' || w[stem - 1] === 's' || w[stem - 1] === 't');
    return holds ? w.slice(0, stem) : w;
  }
  return w;
}

/** A vowel is a, e, i, o, u, or y after a consonant. */
function isVowel(c: string, afterConsonant: boolean): boolean {
  return c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u' || (afterConsonant && c === 'y');
}

/** Porter's m of the first n letters: how many vowel-then-consonant runs, counted up to 2 (all rules need). */
function measure(w: string, n: number): number {
  let m = 0;
  let consonant = false;
  let seenVowel = false;
  for (let i = 0; i < n && m < 2; i++) {
    consonant = !isVowel(w[i], consonant);
    if (!consonant) seenVowel = true;
    else if (seenVowel) {
      m++;
      seenVowel = false;
    }
  }
  return m;
}

/** FTS5's *v*: the first n letters hold a vowel, "y" counting as one anywhere but first. */
function hasVowel(w: string, n: number): boolean {
  for (let i = 0; i < n; i++) if (isVowel(w[i], i > 0)) return true;
  return false;
}

/** Porter's *o: the first n letters end consonant-vowel-consonant, the last not w, x or y. */
function endsConsonantVowelConsonant(w: string, n: number): boolean {
  const last = w[n - 1];
  if (n < 3 || last === 'w' || last === 'x' || last === 'y') return false;
  let consonant = false;
  let pattern = 0;
  for (let i = 0; i < n; i++) {
    consonant = !isVowel(w[i], consonant);
    pattern = ((pattern << 1) | (consonant ? 1 : 0)) & 7;
  }
  return pattern === 5;
}
