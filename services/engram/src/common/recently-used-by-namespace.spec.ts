import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentlyUsedByNamespace } from './recently-used-by-namespace';

const fill = (cache: RecentlyUsedByNamespace<string, number>, namespace: string, count: number, prefix = 'k') => {
  for (let i = 0; i < count; i++) cache.set(namespace, `${prefix}${i}`, i);
};

describe('RecentlyUsedByNamespace: a per-process cache each tenant holds its own share of', () => {
  it("never pushes out one namespace's entries for another's load while the total has room", () => {
    const cache = new RecentlyUsedByNamespace<string, number>({ perNamespace: 4, total: 10 });
    cache.set('alice', 'question', 1);
    fill(cache, 'mallory', 300);
    assert.equal(cache.get('alice', 'question'), 1);
    assert.equal(cache.size, 5, 'mallory keeps her own 4, alice her 1');
    assert.equal(cache.get('mallory', 'k295'), undefined, "mallory's least recent went first");
    assert.equal(cache.get('mallory', 'k299'), 299);
  });

  it('keeps each key apart by namespace', () => {
    const cache = new RecentlyUsedByNamespace<string, number>({ perNamespace: 4, total: 10 });
    cache.set('mallory', 'question', 1);
    assert.equal(cache.get('alice', 'question'), undefined);
    cache.set('alice', 'question', 2);
    assert.equal(cache.get('mallory', 'question'), 1);
    assert.equal(cache.get('alice', 'question'), 2);
  });

  it('past the total, takes from the namespace holding the most, of equals the one idle longest', () => {
    const cache = new RecentlyUsedByNamespace<string, number>({ perNamespace: 4, total: 10 });
    fill(cache, 'alice', 2);
    fill(cache, 'bob', 4);
    fill(cache, 'carol', 4);
    assert.equal(cache.size, 10);
    cache.set('dave', 'k0', 0); // bob and carol hold the most; bob has been idle longer
    assert.equal(cache.size, 10);
    assert.equal(cache.get('bob', 'k0'), undefined, "bob's least recent entry went");
    assert.equal(cache.get('carol', 'k0'), 0);
    cache.set('dave', 'k1', 1); // carol now holds the most
    assert.equal(cache.get('carol', 'k1'), undefined, "carol's least recent (k0 was just read) went");
    cache.set('dave', 'k2', 2); // alice (2) is never the one to give way while others hold 3
    cache.set('dave', 'k3', 3);
    assert.deepEqual(
      ['k0', 'k1'].map((key) => cache.get('alice', key)),
      [0, 1],
    );
    assert.equal(cache.size, 10);
  });

  it('replaces a key in place without counting it twice', () => {
    const cache = new RecentlyUsedByNamespace<string, number>({ perNamespace: 4, total: 4 });
    fill(cache, 'alice', 4);
    cache.set('alice', 'k0', 10);
    assert.equal(cache.size, 4);
    assert.equal(cache.get('alice', 'k0'), 10);
    assert.equal(cache.get('alice', 'k1'), 1);
  });
});
