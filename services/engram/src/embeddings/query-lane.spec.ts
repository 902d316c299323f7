import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryLane } from './query-lane';

/** A batch embedder that holds each call until released, recording the texts of every call. */
function heldBatches() {
  const calls: string[][] = [];
  const pending: (() => void)[] = [];
  const embedBatch = (texts: string[]) => {
    calls.push(texts);
    return new Promise<Float32Array[]>((resolve, reject) =>
      pending.push(() =>
        texts.includes('bad')
          ? reject(new Error('model failed'))
          : resolve(texts.map((t) => Float32Array.of(t.length))),
      ),
    );
  };
  const releaseNext = () => pending.shift()!();
  return { calls, embedBatch, releaseNext };
}

describe('QueryLane', () => {
  it('sends the first query at once and the queries that arrive meanwhile together in one batch', async () => {
    const { calls, embedBatch, releaseNext } = heldBatches();
    const lane = new QueryLane(embedBatch, 1, 8);
    const first = lane.embed(['a']);
    const later = ['bb', 'ccc', 'dddd'].map((text) => lane.embed([text]));
    assert.deepEqual(calls, [['a']]);
    releaseNext();
    assert.deepEqual(
      (await first).map((v) => v[0]),
      [1],
    );
    assert.deepEqual(calls, [['a'], ['bb', 'ccc', 'dddd']]);
    releaseNext();
    assert.deepEqual(
      (await Promise.all(later)).map(([v]) => v[0]),
      [2, 3, 4],
    );
  });

  it('splits waiting queries at the batch size and runs as many batches as it may at once', async () => {
    const { calls, embedBatch, releaseNext } = heldBatches();
    const lane = new QueryLane(embedBatch, 2, 2);
    const all = ['a', 'b', 'c', 'd', 'e'].map((text) => lane.embed([text]));
    assert.deepEqual(calls, [['a'], ['b']]);
    releaseNext();
    releaseNext();
    await Promise.all(all.slice(0, 2));
    assert.deepEqual(calls.slice(2), [['c', 'd'], ['e']]);
    releaseNext();
    releaseNext();
    await Promise.all(all);
  });

  it('fails only the queries of a failed batch and keeps serving', async () => {
    const { embedBatch, releaseNext } = heldBatches();
    const lane = new QueryLane(embedBatch, 1, 8);
    const good = lane.embed(['ok']);
    const failing = [lane.embed(['bad']), lane.embed(['same batch'])];
    releaseNext();
    await good;
    releaseNext();
    for (const query of failing) await assert.rejects(query, /model failed/);
    const after = lane.embed(['after']);
    releaseNext();
    assert.equal((await after)[0][0], 5);
  });
});
