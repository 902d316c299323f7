import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenize } from './tokens';

describe('tokenize', () => {
  it('splits on every kind of white space a regular expression knows, keeping offsets into the text', () => {
    const spaces = [
      ' ',
      '\t',
      '\n',
      '\r',
      '\v',
      '\f',
      '\u00a0',
      '\u1680',
      '\u2003',
      '\u2028',
      '\u202f',
      '\u3000',
      '\ufeff',
    ];
    const words = ['Yesterday’s,', '(last', 'week)', 'März', '2024-01-01..', '"noon"', 'İstanbul', 'x.'];
    let seed = 3;
    const pick = <T>(items: readonly T[]) => items[(seed = (seed * 48271) % 2147483647) % items.length];
    for (let round = 0; round < 200; round++) {
      let text = pick(spaces);
      for (let i = 0; i < 6; i++) text += pick(words) + pick(spaces) + (i % 2 ? pick(spaces) : '');
      const runs = [...text.matchAll(/\S+/g)];
      const tokens = tokenize(text);
      assert.equal(tokens.length, runs.length, JSON.stringify(text));
      for (const [i, token] of tokens.entries()) {
        const run = runs[i];
        assert.ok(token.start >= run.index && token.end <= run.index + run[0].length);
        const raw = text
          .slice(token.start, token.end)
          .toLowerCase()
          .replace(/\u2019/g, "'");
        assert.equal(token.word, raw.endsWith("'s") ? raw.slice(0, -2) : raw);
      }
    }
  });

  it('trims surrounding punctuation and a sentence full stop, not range dots', () => {
    assert.deepEqual(
      tokenize(' (Yesterday’s, "noon") 2024-01-01.. end.').map(({ word }) => word),
      ['yesterday', 'noon', '2024-01-01..', 'end'],
    );
    assert.deepEqual(tokenize('a ,, b'), [
      { word: 'a', start: 0, end: 1 },
      { word: 'b', start: 5, end: 6 },
    ]);
  });
});
