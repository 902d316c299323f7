import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RELEVANCE_WEIGHTS, logit, parseRelevanceWeights, sigmoid } from './relevance-model';

describe('relevance model', () => {
  it('adds the weighted signals to the intercept; a signal without a weight does not count', () => {
    assert.equal(
      logit({ bias: -1, semantic: 2, keyword_relative: 0.5 }, { semantic: 0.5, keyword_relative: 1, brevity: 1 }),
      0.5,
    );
    assert.equal(logit({ bias: 0.25 }, {}), 0.25);
    assert.equal(sigmoid(0), 0.5);
    assert.ok(sigmoid(10) > 0.9999 && sigmoid(-10) < 0.0001);
  });

  it('ranks a closer, word-matching candidate above a distant one with the fitted weights', () => {
    const strong = { semantic: 0.7, semantic_relative: 1, keyword_relative: 1, keyword_strength: 2, term_coverage: 1 };
    const weak = { semantic: 0.2, semantic_relative: 0, keyword_relative: 0, keyword_strength: 0, term_coverage: 0 };
    assert.ok(logit(DEFAULT_RELEVANCE_WEIGHTS.hybrid, strong) > logit(DEFAULT_RELEVANCE_WEIGHTS.hybrid, weak) + 3);
    assert.ok(sigmoid(logit(DEFAULT_RELEVANCE_WEIGHTS.hybrid, weak)) < 0.01);
  });

  it('reads replacement weights from JSON, model by model', () => {
    const problems: string[] = [];
    const weights = parseRelevanceWeights('{"semantic": {"bias": -2, "semantic": 4}}', problems);
    assert.deepEqual(problems, []);
    assert.deepEqual(weights?.semantic, { bias: -2, semantic: 4 });
    assert.deepEqual(weights?.hybrid, DEFAULT_RELEVANCE_WEIGHTS.hybrid);
  });

  it('names every problem in replacement weights', () => {
    const cases: [string, RegExp][] = [
      ['not json', /not valid JSON/],
      ['[1]', /expected an object/],
      ['{"fancy": {"bias": 0}}', /unknown model "fancy"/],
      ['{"hybrid": {"bias": 0, "colour": 1}}', /hybrid.colour is not a known signal/],
      ['{"hybrid": {"bias": 0, "semantic": "high"}}', /hybrid.semantic is not a known signal with a finite number/],
      ['{"keyword": {"keyword_strength": 1}}', /keyword.bias is required/],
      ['{"semantic": 3}', /semantic must be an object/],
    ];
    for (const [json, expected] of cases) {
      const problems: string[] = [];
      assert.equal(parseRelevanceWeights(json, problems), undefined, json);
      assert.match(problems.join('\n'), expected, json);
    }
  });
});
