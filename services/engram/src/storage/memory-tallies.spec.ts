import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CURSOR_TOTAL_MAX_LOOKUPS, soleTagCount } from './memory-tallies';

describe('soleTagCount: how a filter of one tag alone is counted', () => {
  const tag = { namespace: 'default', tags: ['work'] };

  it("takes the tag's tally as it is when no superseded memory can be among its memories", () => {
    const busy = { tagged: 20_000, superseded: 5_000, storeSuperseded: 5_000 };
    assert.equal(soleTagCount({ ...tag, includeSuperseded: true }, busy), 'tally');
    assert.equal(soleTagCount(tag, { ...busy, superseded: 0 }), 'tally');
    assert.equal(soleTagCount(tag, { ...busy, tagged: 0 }), 'tally', 'a tag on no live memory admits none');
  });

  it('looks the superseded memories up when they are fewer than the tag has, a page by cursor only a few', () => {
    const few = { tagged: 20_000, superseded: 500, storeSuperseded: 500 };
    assert.equal(soleTagCount(tag, few), 'less_superseded');
    assert.equal(soleTagCount(tag, few, CURSOR_TOTAL_MAX_LOOKUPS), 'less_superseded');
    const many = { ...few, storeSuperseded: CURSOR_TOTAL_MAX_LOOKUPS + 1 };
    assert.equal(soleTagCount(tag, many), 'less_superseded', 'a numbered page, which passes over its offset anyway');
    assert.equal(soleTagCount(tag, many, CURSOR_TOTAL_MAX_LOOKUPS), 'range', 'a page by cursor goes without');
    assert.equal(soleTagCount(tag, { ...few, tagged: 500 }), 'range', 'the range is the cheaper count');
  });
});
