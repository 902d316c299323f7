import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeptTermCounts } from './kept-term-counts';

/** A count that says how often it was taken: each one is a walk of the term's every holder. */
function counter(rows: number) {
  const count = () => {
    count.taken += 1;
    return rows;
  };
  count.taken = 0;
  return count;
}

describe('KeptTermCounts: common terms counted once per namespace and kept', () => {
  it("keeps a namespace's count however many distinct terms another namespace counts", () => {
    const counts = new KeptTermCounts();
    const alice = counter(1_500);
    assert.equal(counts.rows('alice', 'meeting', 50_000, alice), 1_500);
    // Shared by every namespace, 10,000 counts kept in all let mallory's common words push alice's out:
    // alice's next search walked every holder of "meeting" again (tens of ms at a million memories).
    for (let i = 0; i < 10_001; i++) counts.rows('mallory', `word${i}`, 50_000, () => 2_000);
    assert.equal(counts.rows('alice', 'meeting', 50_000, alice), 1_500);
    assert.equal(alice.taken, 1, "alice's kept count was reused, not taken again");
  });
});
