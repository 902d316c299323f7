import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { fts5Token } from './fts5-porter';
import { Fts5TermCounter } from './fts5-term-counter';

/** The keyword index's tokenizer (migration 001), in a table of its own. */
const TOKENIZER = "tokenize = 'porter unicode61 remove_diacritics 2'";
const ROOT = join(__dirname, '..', '..', '..', '..');

/** English as the project writes it (its docs), and every Porter suffix on stems chosen to trip its conditions. */
function vocabulary(): string[] {
  const words = new Set<string>();
  for (const dir of ['docs', '.']) {
    for (const file of readdirSync(join(ROOT, dir)).filter((name) => name.endsWith('.md'))) {
      for (const word of readFileSync(join(ROOT, dir, file), 'utf8').match(/[\p{L}\p{N}]+/gu) ?? []) words.add(word);
    }
  }
  const suffixes = (
    'ational tional enci anci izer logi bli alli entli eli ousli ization ation ator alism iveness fulness ousness ' +
    'aliti iviti biliti icate ative alize iciti ical ful ness al ance ence er ic able ible ant ement ment ent ion ' +
    'sion tion ou ism ate iti ous ive ize s es ies sses ss ed eed ing y ly ings ll e'
  ).split(' ');
  const stems = (
    'a b y ya by hop feed agree rat cry plaster bled troubl siz fil fail sky happ gener relat condition valen ' +
    'hesit digit radic differ sens format electr hope call control roll tann fizz boy toy say yell oed aing'
  ).split(' ');
  for (const stem of ['', ...stems]) {
    for (const first of suffixes) {
      words.add(stem + first);
      for (const second of suffixes) words.add(stem + first + second);
    }
  }
  for (const word of [
    'Café',
    'naïve',
    'Über',
    'résumé',
    'FAÇADES',
    'coöperate',
    'Ærøskøbing',
    'москва',
    '日本語',
    'Ἀθῆναι',
  ])
    words.add(word);
  return [...words];
}

describe('fts5Token: the keyword index token of a word, without SQLite', () => {
  it("equals FTS5's own token for every word of a large vocabulary", () => {
    const words = vocabulary();
    assert.ok(words.length > 50_000, `vocabulary of ${words.length} words`);
    const db = new Database(':memory:');
    try {
      db.exec(`CREATE VIRTUAL TABLE words USING fts5 (word, ${TOKENIZER});
               CREATE VIRTUAL TABLE tokens USING fts5vocab (words, 'instance');`);
      const insert = db.prepare('INSERT INTO words (rowid, word) VALUES (?, ?)');
      db.transaction(() => words.forEach((word, i) => insert.run(i + 1, word)))();
      const tokens = new Map(
        (db.prepare('SELECT doc, term FROM tokens').all() as { doc: number; term: string }[]).map((row) => [
          row.doc,
          row.term,
        ]),
      );
      const differing = words.filter((word, i) => fts5Token(word) !== tokens.get(i + 1));
      assert.deepEqual(differing.slice(0, 20), [], `${differing.length} of ${words.length} differ`);
    } finally {
      db.close();
    }
  });
});

describe('Fts5TermCounter: a document length and term frequencies as FTS5 counts them', () => {
  const db = new Database(':memory:');
  const texts = [
    'The Runner runs; running RUNS (ran) — runners run-ning.',
    'Connected connections CONNECT connecting, connective: connection_connected 4 connects',
    'Café CAFÉ cafe cafés — naïve NAIVE naïvety; Über uber',
    'Relational relate relativity related relating 2026 relations relat',
    'Москва москвы Moskva 日本語 चतुष्क λόγος ΛΌΓΟΣ ſun 10µs, emoji 😀 and digits 123abc abc123',
    'hopping hoped hope hopes hopeful Hopefully, hopefulness',
    'nothing to see here',
    '',
  ];
  const terms = ['run', 'connection', 'café', 'relational', 'москва', 'hope', '123abc', 'see'];

  before(() => {
    db.exec(`CREATE VIRTUAL TABLE docs USING fts5 (body, ${TOKENIZER});
             CREATE VIRTUAL TABLE tokens USING fts5vocab (docs, 'instance');`);
    const insert = db.prepare('INSERT INTO docs (rowid, body) VALUES (?, ?)');
    texts.forEach((text, i) => insert.run(i + 1, text));
  });
  after(() => db.close());

  it('gives every text the length FTS5 recorded and each term the occurrences FTS5 indexed', () => {
    const counter = new Fts5TermCounter(terms);
    const termTokens = terms.map(fts5Token);
    const instances = db.prepare('SELECT doc, term FROM tokens').all() as { doc: number; term: string }[];
    for (const [i, text] of texts.entries()) {
      const indexed = instances.filter((row) => row.doc === i + 1).map((row) => row.term);
      const counted = counter.count(text);
      assert.equal(counted.length, indexed.length, `length of ${JSON.stringify(text)}`);
      assert.deepEqual(
        counted.frequencies,
        termTokens.map((token) => indexed.filter((term) => term === token).length),
        `frequencies in ${JSON.stringify(text)}`,
      );
    }
    // The texts exercise what they claim to: stems joined across forms, case and accents folded.
    assert.deepEqual(counter.count(texts[0]).frequencies.slice(0, 1), [4]);
    assert.deepEqual(counter.count(texts[2]).frequencies.slice(2, 3), [4]);
  });

  it('counts a term given twice (two words with one token) for each', () => {
    const counter = new Fts5TermCounter(['run', 'runs']);
    assert.deepEqual(counter.count('run runs running').frequencies, [3, 3]);
  });
});
