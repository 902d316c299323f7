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
});
