/** Scoring of the LoCoMo evaluation on invented inputs (never dataset content). Run: node --test bench/ */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSessionDate } from './conversations.mjs';
import { normaliseDiaIds, reciprocalRank, recallAtK, scoreQuestion, summarise } from './scoring.mjs';

describe('normaliseDiaIds', () => {
  it('accepts a single id, a list, and comma-, semicolon- or space-joined strings', () => {
    assert.deepEqual(normaliseDiaIds('D2:7'), ['D2:7']);
    assert.deepEqual(normaliseDiaIds(['D1:1', 'D1:2']), ['D1:1', 'D1:2']);
    assert.deepEqual(normaliseDiaIds('D3:4; D5:6'), ['D3:4', 'D5:6']);
    assert.deepEqual(normaliseDiaIds('D3:4,D5:6 D7:8'), ['D3:4', 'D5:6', 'D7:8']);
    assert.deepEqual(normaliseDiaIds(['D1:1; D2:2', ['D3:3']]), ['D1:1', 'D2:2', 'D3:3']);
  });

  it('repairs a stray colon and leading zeros', () => {
    assert.deepEqual(normaliseDiaIds('D:12:34'), ['D12:34']);
    assert.deepEqual(normaliseDiaIds('D40:07'), ['D40:7']);
    assert.deepEqual(normaliseDiaIds('D04:010'), ['D4:10']);
  });

  it('drops what is not an id, and duplicates', () => {
    assert.deepEqual(normaliseDiaIds(['D', 'D9:9', '', 'x', 'D9:9', null, 42]), ['D9:9']);
    assert.deepEqual(normaliseDiaIds(undefined), []);
    assert.deepEqual(normaliseDiaIds('D'), []);
  });
});

describe('recallAtK', () => {
  const results = [['D1:1'], ['D2:2', 'D3:3'], [], ['D1:1'], ['D4:4'], ['D5:5']];

  it('counts distinct evidence ids found in the top k', () => {
    assert.equal(recallAtK(results, ['D3:3', 'D5:5'], 5), 0.5);
    assert.equal(recallAtK(results, ['D3:3', 'D5:5'], 6), 1);
    assert.equal(recallAtK(results, ['D9:9'], 10), 0);
  });

  it('counts an id found twice once, and never goes above 1', () => {
    assert.equal(recallAtK(results, ['D1:1'], 5), 1);
    assert.equal(recallAtK(results, ['D1:1', 'D1:1', 'D9:9'], 5), 0.5);
  });

  it('credits every id of a result carrying several', () => {
    assert.equal(recallAtK(results, ['D2:2', 'D3:3'], 2), 1);
  });
});

describe('reciprocalRank', () => {
  it('is 1 / rank of the first result carrying any evidence id', () => {
    assert.equal(reciprocalRank([['D1:1'], ['D2:2']], ['D2:2']), 0.5);
    assert.equal(reciprocalRank([['D1:1'], ['D2:2', 'D3:3']], ['D3:3', 'D1:1']), 1);
  });

  it('is 0 when nothing relevant is in the top 10', () => {
    const results = Array.from({ length: 11 }, (_, i) => [`D1:${i + 1}`]);
    assert.equal(reciprocalRank(results, ['D1:10']), 0.1);
    assert.equal(reciprocalRank(results, ['D1:11']), 0);
    assert.equal(reciprocalRank([], ['D1:1']), 0);
  });
});

describe('scoreQuestion and summarise', () => {
  it('does not score a question without evidence', () => {
    assert.equal(scoreQuestion([['D1:1']], []), null);
  });

  it('averages without category 5, per category, and category 5 apart', () => {
    const scored = [
      { category: 1, r_at_5: 1, r_at_10: 1, mrr: 1 },
      { category: 1, r_at_5: 0, r_at_10: 0.5, mrr: 0.5 },
      { category: 2, r_at_5: 0.5, r_at_10: 1, mrr: 0.25 },
      { category: 5, r_at_5: 0, r_at_10: 0, mrr: 0 },
    ];
    const summary = summarise(scored);
    assert.equal(summary.questions, 3);
    assert.equal(summary.r_at_5, 0.5);
    assert.equal(summary.r_at_10, 2.5 / 3);
    assert.equal(summary.mrr, 1.75 / 3);
    assert.deepEqual(summary.by_category[1], {
      name: 'multi-hop',
      questions: 2,
      r_at_5: 0.5,
      r_at_10: 0.75,
      mrr: 0.75,
    });
    assert.equal(summary.by_category[5], undefined);
    assert.deepEqual(summary.category_5, { name: 'adversarial', questions: 1, r_at_5: 0, r_at_10: 0, mrr: 0 });
  });
});

describe('parseSessionDate', () => {
  it('reads "h:mm am|pm on D Month, YYYY" as UTC', () => {
    assert.equal(parseSessionDate('3:07 pm on 21 October, 2021'), '2021-10-21T15:07:00.000Z');
    assert.equal(parseSessionDate('12:30 am on 2 Feb, 2020'), '2020-02-02T00:30:00.000Z');
    assert.equal(parseSessionDate('12:05 pm on 9 June, 2019'), '2019-06-09T12:05:00.000Z');
    assert.equal(parseSessionDate('sometime'), undefined);
  });
});
