import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_USE } from '../storage/usage.store';
import { NEUTRAL_QUALITY, qualityOf } from './quality-score';

const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;

describe('quality score from use and ratings', () => {
  it('scores a memory nobody used or rated as neutral', () => {
    assert.deepEqual(qualityOf(NO_USE, NOW), { score: NEUTRAL_QUALITY, implicit: null, rating: null });
  });

  it('lifts a used memory above neutral, more for frequent and recent use', () => {
    const once = qualityOf({ ...NO_USE, retrievals: 1, lastUsedAt: NOW - 60 * DAY }, NOW).score;
    const often = qualityOf({ ...NO_USE, retrievals: 40, fetches: 5, lastUsedAt: NOW - 60 * DAY }, NOW).score;
    const recent = qualityOf({ ...NO_USE, retrievals: 40, fetches: 5, lastUsedAt: NOW }, NOW).score;
    assert.ok(NEUTRAL_QUALITY < once && once < often && often < recent && recent <= 1, `${once} ${often} ${recent}`);
  });

  it('lets ratings outweigh use: thumbs down sinks a much-used memory below neutral, thumbs up raises it', () => {
    const used = { ...NO_USE, retrievals: 10, lastUsedAt: NOW };
    const down = qualityOf({ ...used, ratingSum: -2, ratingCount: 2 }, NOW);
    const up = qualityOf({ ...used, ratingSum: 1, ratingCount: 1 }, NOW);
    assert.equal(down.rating, 0);
    assert.ok(down.score < NEUTRAL_QUALITY, `${down.score}`);
    assert.ok(up.score > qualityOf(used, NOW).score * 0.99 && up.score > 0.8, `${up.score}`);
    assert.equal(qualityOf({ ...NO_USE, ratingSum: 1, ratingCount: 1 }, NOW).score, 0.6 + 0.4 * NEUTRAL_QUALITY);
  });
});
