import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLinearCost } from '../../testing/linear-cost';
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
    const hostile: [string, (n: number) => string][] = [
      ['a long key line', (n) => `---\na${' '.repeat(n)}x\n---\nbody`],
      ['many keys', (n) => `---\n${'key: value\n'.repeat(n / 11)}---\nbody`],
      ['nested flow', (n) => `---\n${'['.repeat(n)}\n---\nbody`],
      ['anchors', (n) => `---\n${'&a '.repeat(n / 3)}\n---\nbody`],
      ['block sequence', (n) => `---\n${'- '.repeat(n / 2)}\n---\nbody`],
      ['compact maps', (n) => `---\n${'a: '.repeat(n / 3)}\n---\nbody`],
      ['no closing fence', (n) => `---\n${'x'.repeat(n)}`],
    ];
    // 2 KiB and 16 KiB: both within the front-matter limit, so the parser really reads them.
    for (const [label, build] of hostile) assertLinearCost(label, (scale) => build(2_000 * scale), splitFrontMatter);
    // Far past the limit the block is not even parsed: a 40 KB key line took the old pattern seconds.
    assertLinearCost(
      'a key line past the limit',
      (scale) => `---\na${' '.repeat(40_000 * scale)}x\n---\nbody`,
      splitFrontMatter,
    );
  });
});
