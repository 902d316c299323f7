import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { fromDist } from '../lib/dist.mjs';
import { cosine, POSITIVE_KINDS, scoreDetector } from './scoring.mjs';

const { pairs } = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'pairs.json'), 'utf8'));

describe('the CPU contradiction detector on the labelled set (real USE-lite embeddings)', () => {
  let judged;
  let embedder;
  before(async () => {
    const { LocalUseEmbedder } = fromDist('embeddings/local-use.embedder.js');
    const { detectContradiction } = fromDist('conflicts/contradiction-detector.js');
    embedder = new LocalUseEmbedder({ batchSize: 32 });
    await embedder.init();
    const texts = [...new Set(pairs.flatMap((pair) => [pair.older, pair.newer]))];
    const vectors = new Map((await embedder.embed(texts)).map((vector, i) => [texts[i], vector]));
    judged = pairs.map((pair) => ({
      ...pair,
      proposed:
        detectContradiction(
          { content: pair.older, createdAt: 0 },
          { content: pair.newer, createdAt: 1 },
          cosine(vectors.get(pair.older), vectors.get(pair.newer)),
        ) !== undefined,
    }));
  });
  after(() => embedder?.close());

  it('holds at least 150 pairs of every kind, each pair once', () => {
    assert.ok(pairs.length >= 150, `${pairs.length} pairs`);
    const kinds = new Set(pairs.map((pair) => pair.kind));
    assert.deepEqual([...kinds].sort(), ['compatible', 'contradiction', 'duplicate', 'unrelated', 'update']);
    assert.equal(new Set(pairs.map((pair) => `${pair.older}\n${pair.newer}`)).size, pairs.length);
    assert.ok(pairs.filter((pair) => POSITIVE_KINDS.has(pair.kind)).length >= 50);
  });

  it('reaches precision ≥ 0.80 at recall ≥ 0.50 on the held-out half and on the whole set', () => {
    for (const subset of [judged, judged.filter((pair) => pair.id % 2 === 0)]) {
      const { precision, recall } = scoreDetector(subset);
      assert.ok(precision >= 0.8, `precision ${precision}`);
      assert.ok(recall >= 0.5, `recall ${recall}`);
    }
  });

  it('never proposes an unrelated pair', () => {
    assert.deepEqual(
      judged.filter((pair) => pair.kind === 'unrelated' && pair.proposed).map((pair) => pair.id),
      [],
    );
  });
});
