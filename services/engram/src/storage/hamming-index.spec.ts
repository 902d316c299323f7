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

describe('HammingIndex with many namespaces', () => {
  it('keeps more than 65,536 namespaces apart', () => {
    const index = new HammingIndex(8);
    const bits = randomBits(8, 1);
    for (let n = 0; n <= 65_536; n++) index.set(n + 1, `ns-${n}`, bits);
    assert.deepEqual(index.nearest('ns-0', bits, 5), [1]);
    assert.deepEqual(index.nearest('ns-65536', bits, 5), [65_537]);
  });
});
