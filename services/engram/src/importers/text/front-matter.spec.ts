import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_FRONT_MATTER_BYTES, splitFrontMatter } from './front-matter';

const note = (yaml: string, body = '# Body\nText') => `---\n${yaml}\n---\n${body}`;

describe('front matter read with a YAML parser (safe schema, limits)', () => {
  it('keeps quoted commas, drops comments, reads escapes and block scalars', () => {
    const { data, body } = splitFrontMatter(
      note(
        [
          'title: "Trip, part 1" # the first leg',
          'tags: ["a, b", c]   # two tags',
          'quote: "tab\\there \\u00e9"',
          'summary: |',
          '  line one',
          '  line two',
          'folded: >',
          '  one',
          '  two',
          'aliases:',
          '  - x',
          '  - "y, z"',
          'count: 3',
          'nested: {a: 1}',
        ].join('\n'),
      ),
    );
    assert.deepEqual(
      { ...data },
      {
        title: 'Trip, part 1',
        tags: ['a, b', 'c'],
        quote: 'tab\there é',
        summary: 'line one\nline two\n',
        folded: 'one two\n',
        aliases: ['x', 'y, z'],
        count: '3',
      },
    );
    assert.equal(body, '# Body\nText');
  });

  it('treats __proto__ and constructor as ordinary keys: no prototype is swapped or polluted', () => {
    const { data } = splitFrontMatter(
      note('__proto__: {polluted: yes}\nconstructor: {prototype: {polluted: yes}}\ntitle: x\n"__proto__": swapped'),
    );
    assert.equal(Object.getPrototypeOf(data), null);
    assert.equal(data.title, 'x');
    assert.equal(data.__proto__, 'swapped');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((data as Record<string, unknown>).polluted, undefined);
  });

  it('reads an alias bomb, an oversized block, invalid YAML or a JavaScript tag as plain text, not front matter', () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      laughs.push(
        `${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(9).fill(`*${previous}`).join(',')}]`,
      );
    }
    const hostile = [
      note(laughs.join('\n')),
      note(`title: x\nfiller: "${'y'.repeat(MAX_FRONT_MATTER_BYTES)}"`),
      note('title: [unclosed\ntags: a'),
      note('title: !!js/function "function () { return 1 }"'),
      note('---js\nmodule.exports = { title: process.exit(1) }'),
    ];
    for (const text of hostile) {
      const { data, body } = splitFrontMatter(text);
      assert.equal(data.title, undefined, text.slice(0, 60));
      assert.equal(body, text, text.slice(0, 60));
    }
  });

  it('reads hostile front matter in linear time', () => {
    const inputs = [
      `---\na${' '.repeat(100_000)}x\n---\nbody`,
      `---\na${' '.repeat(10_000)}x\n---\nbody`,
      `---\n${'key: value\n'.repeat(1_400)}---\nbody`,
      `---\n${'['.repeat(16_000)}\n---\nbody`,
      `---\n${'&a '.repeat(5_000)}\n---\nbody`,
      `---\n${'- '.repeat(8_000)}\n---\nbody`,
      `---\n${'a: '.repeat(5_000)}\n---\nbody`,
      `---\n${'x'.repeat(1_000_000)}`,
    ];
    for (const text of inputs) {
      const started = performance.now();
      splitFrontMatter(text);
      const elapsed = performance.now() - started;
      // Bounded, linear work takes well under a second; the old key pattern took seconds on 40 KB.
      assert.ok(elapsed < 3000, `${text.slice(4, 20)}…: ${elapsed.toFixed(0)} ms`);
    }
  });
});
