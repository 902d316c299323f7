import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryFilter } from './memory-filter.sql';
import { admittedBounds, tallyOfFilter } from './memory-tallies';

const namespace = 'default';

describe('tallyOfFilter: the tally that is a filter’s count', () => {
  it('reads the current tallies unless superseded versions are admitted, for the namespace, a type or a tag', () => {
    assert.deepEqual(tallyOfFilter({ namespace }), { facet: 'current', key: '' });
    assert.deepEqual(tallyOfFilter({ namespace, includeSuperseded: true }), { facet: 'live', key: '' });
    assert.deepEqual(tallyOfFilter({ namespace, memoryType: 'decision' }), { facet: 'current_type', key: 'decision' });
    assert.deepEqual(tallyOfFilter({ namespace, memoryType: 'decision', includeSuperseded: true }), {
      facet: 'type',
      key: 'decision',
    });
    assert.deepEqual(tallyOfFilter({ namespace, tags: ['work'] }), { facet: 'current_tag', key: 'work' });
    assert.deepEqual(tallyOfFilter({ namespace, tags: ['work', 'work'], tagMatch: 'all', includeSuperseded: true }), {
      facet: 'tag',
      key: 'work',
    });
  });

  it('has none for a time window, several tags or a type with a tag: their rows are counted', () => {
    const counted: MemoryFilter[] = [
      { namespace, createdFromMs: 0 },
      { namespace, memoryType: 'decision', createdBeforeMs: 1 },
      { namespace, tags: ['work'], createdFromMs: 0 },
      { namespace, tags: ['work', 'home'] },
      { namespace, tags: ['work', 'home'], tagMatch: 'all' },
      { namespace, tags: ['work'], memoryType: 'decision' },
    ];
    for (const filter of counted) assert.equal(tallyOfFilter(filter), undefined, JSON.stringify(filter));
  });
});

describe('admittedBounds: how many memories a filter admits, by the tallies', () => {
  const tallies = new Map([
    ['current/', 100],
    ['live/', 120],
    ['current_type/decision', 10],
    ['type/decision', 15],
    ['current_tag/work', 40],
    ['current_tag/home', 30],
  ]);
  const tally = (facet: string, key = '') => tallies.get(`${facet}/${key}`) ?? 0;

  it("is exact where one tally is the filter's count", () => {
    assert.deepEqual(admittedBounds({ namespace, memoryType: 'decision' }, tally), { atLeast: 10, atMost: 10 });
    assert.deepEqual(admittedBounds({ namespace, memoryType: 'decision', includeSuperseded: true }, tally), {
      atLeast: 15,
      atMost: 15,
    });
    assert.deepEqual(admittedBounds({ namespace, tags: ['work'] }, tally), { atLeast: 40, atMost: 40 });
  });

  it('bounds any of several tags by the most common and the sum, other filters from above only', () => {
    assert.deepEqual(admittedBounds({ namespace, tags: ['work', 'home'] }, tally), { atLeast: 40, atMost: 70 });
    assert.deepEqual(admittedBounds({ namespace, tags: ['work', 'home'], tagMatch: 'all' }, tally), {
      atLeast: 0,
      atMost: 30,
    });
    assert.deepEqual(admittedBounds({ namespace, tags: ['work'], memoryType: 'decision' }, tally), {
      atLeast: 0,
      atMost: 10,
    });
    assert.deepEqual(admittedBounds({ namespace, createdFromMs: 0 }, tally), { atLeast: 0, atMost: 100 });
  });
});
