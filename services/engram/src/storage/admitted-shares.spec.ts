import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdmittedShares } from './admitted-shares';

describe('AdmittedShares: the share of index candidates recent filters admitted', () => {
  it('knows a filter by what it admits: tags in any order, time bounds to the hour', () => {
    const shares = new AdmittedShares();
    const hour = 3_600_000;
    shares.set({ namespace: 'a', tags: ['x', 'y'], createdFromMs: 10 * hour + 5 }, 0.2);
    assert.equal(shares.get({ namespace: 'a', tags: ['y', 'x', 'x'], createdFromMs: 10 * hour + 3_000_000 }), 0.2);
    assert.equal(shares.get({ namespace: 'a', tags: ['x', 'y'], createdFromMs: 11 * hour }), undefined);
    assert.equal(shares.get({ namespace: 'b', tags: ['x', 'y'], createdFromMs: 10 * hour }), undefined);
    assert.equal(
      shares.get({ namespace: 'a', tags: ['x', 'y'], tagMatch: 'all', createdFromMs: 10 * hour }),
      undefined,
    );
    assert.equal(shares.get({ namespace: 'a', tags: ['x'], createdFromMs: 10 * hour }), undefined);
    assert.equal(
      shares.get({ namespace: 'a', tags: ['x', 'y'], createdFromMs: 10 * hour, includeSuperseded: true }),
      undefined,
    );
  });

  it('keeps the latest share of each filter and forgets the least recently used past 256 filters', () => {
    const shares = new AdmittedShares();
    for (let i = 0; i < 256; i++) shares.set({ namespace: 'n', memoryType: `t${i}` }, i / 1000);
    shares.set({ namespace: 'n', memoryType: 't5' }, 0.5);
    assert.equal(shares.get({ namespace: 'n', memoryType: 't0' }), 0); // used: now the most recent
    shares.set({ namespace: 'n', memoryType: 'new' }, 0.9); // evicts t1, the least recently used
    assert.equal(shares.get({ namespace: 'n', memoryType: 't1' }), undefined);
    assert.equal(shares.get({ namespace: 'n', memoryType: 't0' }), 0);
    assert.equal(shares.get({ namespace: 'n', memoryType: 't5' }), 0.5);
    assert.equal(shares.get({ namespace: 'n', memoryType: 'new' }), 0.9);
  });

  it("keeps each namespace's filters however many distinct ones another namespace searches", () => {
    const shares = new AdmittedShares();
    shares.set({ namespace: 'alice', tags: ['work'] }, 0.3);
    // One LRU for every namespace let mallory's filters push alice's out: her next filtered search took
    // the narrow first search again, slower, and mallory could time when others searched.
    for (let i = 0; i < 300; i++) shares.set({ namespace: 'mallory', memoryType: `t${i}` }, 0.1);
    assert.equal(shares.get({ namespace: 'alice', tags: ['work'] }), 0.3);
    assert.equal(shares.get({ namespace: 'mallory', memoryType: 't299' }), 0.1);
    assert.equal(shares.get({ namespace: 'mallory', memoryType: 't43' }), undefined, 'mallory keeps her newest 256');
    assert.equal(shares.get({ namespace: 'mallory', memoryType: 't44' }), 0.1);
  });
});
