import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DIFF_LIMITS, diffLines, unifiedDiff } from './file-diff';

/** Applies an edit script to `a`: what must come out is `b`. */
function apply(a: string[], ops: { kind: string; line: string }[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const op of ops) {
    if (op.kind === '+') out.push(op.line);
    else {
      assert.equal(a[at], op.line, 'kept and removed lines follow a in order');
      at++;
      if (op.kind === ' ') out.push(op.line);
    }
  }
  assert.equal(at, a.length);
  return out;
}

describe('unified diffs of changed memory files', () => {
  it('shows an edited line with three lines of context and the usual headers', () => {
    const before = ['# User', '- name: Alex', '- age: 34', '- city: Lisbon', '', '## Relationships', '- Acme'].join(
      '\n',
    );
    const after = before.replace('- city: Lisbon', '- city: Porto');
    assert.equal(
      unifiedDiff('user.md', `${before}\n`, `${after}\n`),
      [
        '--- a/user.md',
        '+++ b/user.md',
        '@@ -1,7 +1,7 @@',
        ' # User',
        ' - name: Alex',
        ' - age: 34',
        '-- city: Lisbon',
        '+- city: Porto',
        ' ',
        ' ## Relationships',
        ' - Acme',
        '',
      ].join('\n'),
    );
  });

  it('diffs a created file against /dev/null and a deleted one to /dev/null', () => {
    assert.equal(unifiedDiff('a.md', null, 'one\ntwo\n'), '--- /dev/null\n+++ b/a.md\n@@ -0,0 +1,2 @@\n+one\n+two\n');
    assert.equal(unifiedDiff('a.md', 'gone\n', null), '--- a/a.md\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-gone\n');
    assert.equal(unifiedDiff('a.md', 'same\n', 'same\n'), '');
  });

  it('splits distant changes into separate hunks', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const changed = [...lines];
    changed[2] = 'first change';
    changed[25] = 'second change';
    const diff = unifiedDiff('f.md', lines.join('\n'), changed.join('\n'))!;
    assert.deepEqual(diff.match(/^@@.*@@$/gm), ['@@ -1,6 +1,6 @@', '@@ -23,7 +23,7 @@']);
  });

  it('finds a shortest edit script that turns a into b (randomised)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: Math.floor(random() * 25) }, () =>
        String.fromCharCode(97 + Math.floor(random() * 4)),
      );
      const b = Array.from({ length: Math.floor(random() * 25) }, () =>
        String.fromCharCode(97 + Math.floor(random() * 4)),
      );
      const ops = diffLines(a, b)!;
      assert.deepEqual(apply(a, ops), b);
      const kept = ops.filter((op) => op.kind === ' ').length;
      assert.equal(
        kept,
        lcsLength(a, b),
        `a=${a.join('')} b=${b.join('')}: the kept lines are a longest common subsequence`,
      );
    }
  });

  it('gives no diff rather than unbounded work past its bounds', () => {
    const rewritten = Array.from({ length: 2 * DIFF_LIMITS.maxEdits }, (_, i) => `x${i}`);
    const half = DIFF_LIMITS.maxEdits;
    assert.equal(diffLines(rewritten.slice(0, half), rewritten.slice(half)), undefined, 'edit distance past the limit');
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
    const scattered = lines.map((line, i) => (i % 50 === 25 ? `${line} edited` : line));
    assert.equal(diffLines(lines, scattered, { maxEdits: 1000, maxWork: 500 }), undefined, 'work past the limit');
    assert.deepEqual(apply(lines, diffLines(lines, scattered)!), scattered);
    // A large file with one edit near each end stays cheap: D is 4, whatever lies between.
    const big = Array.from({ length: 100_000 }, (_, i) => `line ${i}`);
    const edited = [...big];
    edited[1] = 'edited';
    edited[99_998] = 'edited too';
    const diff = unifiedDiff('big.md', big.join('\n'), edited.join('\n'))!;
    assert.equal((diff.match(/^@@/gm) ?? []).length, 2);
  });
});

function lcsLength(a: string[], b: string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = x === b[j - 1] ? diagonal + 1 : Math.max(row[j], row[j - 1]);
      diagonal = above;
    }
  }
  return row[b.length];
}
