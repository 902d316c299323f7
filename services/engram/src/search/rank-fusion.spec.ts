import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reciprocalRankFusion, weightedScoreFusion } from './rank-fusion';

describe('reciprocalRankFusion', () => {
  it('sums weight / (k + rank) over the lists', () => {
    const fused = reciprocalRankFusion(
      [
        { ids: [1, 2], weight: 1 },
        { ids: [2, 3], weight: 0.5 },
      ],
      10,
    );
    assert.equal(fused.get(1), 1 / 11);
    assert.equal(fused.get(2), 1 / 12 + 0.5 / 11);
    assert.equal(fused.get(3), 0.5 / 12);
  });

  it('adds the consensus boost only to ids every list ranks', () => {
    const fused = reciprocalRankFusion(
      [
        { ids: [1, 2], weight: 1 },
        { ids: [2], weight: 1 },
      ],
      10,
      0.1,
    );
    assert.equal(fused.get(1), 1 / 11);
    assert.equal(fused.get(2), 1 / 12 + 1 / 11 + 0.1);
  });
});

describe('weightedScoreFusion', () => {
  it('min-max normalises each signal over the candidates, then weighs them', () => {
    const similarity = new Map([
      [1, 0.9],
      [2, 0.5],
      [3, 0.7],
    ]);
    const bm25 = new Map([[2, 8]]);
    const fused = weightedScoreFusion(
      [1, 2, 3],
      [
        { scores: similarity, weight: 0.6 },
        { scores: bm25, weight: 0.4 },
      ],
    );
    assert.ok(Math.abs(fused.get(1)! - 0.6) < 1e-12);
    assert.ok(Math.abs(fused.get(2)! - 0.4) < 1e-12);
    assert.ok(Math.abs(fused.get(3)! - 0.3) < 1e-12);
  });

  it('keeps margins that rank fusion loses: a far-ahead keyword match beats a near-tie', () => {
    const similarity = new Map([
      [1, 0.8],
      [2, 0.79],
      [3, 0.3],
    ]);
    const bm25 = new Map([
      [2, 20],
      [1, 1],
    ]);
    const fused = weightedScoreFusion(
      [1, 2, 3],
      [
        { scores: similarity, weight: 0.6 },
        { scores: bm25, weight: 0.4 },
      ],
    );
    assert.ok(fused.get(2)! > fused.get(1)!);
  });

  it('ignores a signal that cannot tell the candidates apart', () => {
    const fused = weightedScoreFusion(
      [1, 2],
      [
        {
          scores: new Map([
            [1, 0.5],
            [2, 0.4],
          ]),
          weight: 0.6,
        },
        { scores: new Map(), weight: 0.4 },
      ],
    );
    assert.deepEqual(
      [...fused],
      [
        [1, 0.6],
        [2, 0],
      ],
    );
  });

  it('gives full weight to a signal that found every candidate equally (a sole hit scores 1, not 0)', () => {
    const fused = weightedScoreFusion(
      [7],
      [
        { scores: new Map([[7, 0.83]]), weight: 0.6 },
        { scores: new Map([[7, 4.2]]), weight: 0.4 },
      ],
    );
    assert.ok(Math.abs(fused.get(7)! - 1) < 1e-12);
  });
});
