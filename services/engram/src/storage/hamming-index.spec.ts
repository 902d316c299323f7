import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HammingIndex } from './hamming-index';

function randomBits(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let state = seed * 2654435761;
  for (let i = 0; i < bytes; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

function hamming(a: Uint8Array, b: Uint8Array): number {
  let distance = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i] ^ b[i]; x; x >>= 1) distance += x & 1;
  return distance;
}

describe('HammingIndex', () => {
  it('keeps more than 65,536 namespaces apart', () => {
    const index = new HammingIndex(8);
    const namespaces = 70_000;
    for (let id = 1; id <= namespaces; id++) index.set(id, `tenant-${id}`, randomBits(8, id));
    // Tenant 65,537 holds only memory 65,537; a 16-bit namespace number would wrap onto tenant 1's.
    for (const id of [1, 65_536, 65_537, 70_000]) {
      assert.deepEqual(index.nearest(`tenant-${id}`, randomBits(8, 1), 10), [id]);
    }
    assert.deepEqual(index.nearest('tenant-unknown', randomBits(8, 1), 10), []);
  });

  it('returns the k nearest ids by Hamming distance, matching a brute-force check', () => {
    const index = new HammingIndex(64);
    const vectors = new Map<number, Uint8Array>();
    for (let id = 1; id <= 2000; id++) {
      vectors.set(id, randomBits(64, id));
      index.set(id, 'default', vectors.get(id)!);
    }
    const query = randomBits(64, 99_999);
    const result = index.nearest('default', query, 25);
    assert.equal(result.length, 25);
    const expected = [...vectors.values()].map((bits) => hamming(bits, query)).sort((a, b) => a - b);
    assert.deepEqual(
      result.map((id) => hamming(vectors.get(id)!, query)),
      expected.slice(0, 25),
    );
  });

  it('finds an exact copy first, respects namespaces, and forgets deleted and replaced vectors', () => {
    const index = new HammingIndex(8);
    index.set(1, 'a', randomBits(8, 1));
    index.set(2, 'a', randomBits(8, 2));
    index.set(3, 'b', randomBits(8, 3));
    assert.deepEqual(index.nearest('a', randomBits(8, 2), 1), [2]);
    assert.deepEqual(index.nearest('b', randomBits(8, 1), 5), [3]);
    assert.deepEqual(index.nearest('missing', randomBits(8, 1), 5), []);
    index.delete(1);
    assert.deepEqual(index.nearest('a', randomBits(8, 1), 5), [2]);
    index.set(2, 'a', randomBits(8, 7));
    assert.deepEqual(index.nearest('a', randomBits(8, 7), 1), [2]);
    assert.equal(index.count, 2);
  });
});
