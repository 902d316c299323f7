/** The relevance fit on invented questions (never dataset content). Run: node --test bench/ */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calibrate, fitRelevance, logitOf, sigmoid } from './logistic-fit.mjs';

/** Questions of ten hits each; the relevant hit is the one with the highest `useful`, `noise` says nothing. */
function inventedQuestions(count) {
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: count }, (_, q) => {
    const hits = Array.from({ length: 10 }, (_, h) => ({
      signals: { useful: random(), noise: random() },
      ids: [`D${q}:${h}`],
    }));
    const best = hits.reduce((top, hit) => (hit.signals.useful > top.signals.useful ? hit : top));
    // The noise favours a wrong hit, so a fit that weighs noise loses recall.
    hits.filter((hit) => hit !== best)[0].signals.noise = 1.5;
    return {
      evidence: best.ids,
      hits: hits.map((hit) => ({ ...hit, relevant: hit === best })),
    };
  });
}

describe('relevance fit', () => {
  it('weighs the signal that marks relevant hits and not the one that misleads', () => {
    const questions = inventedQuestions(60);
    const weights = fitRelevance(questions, ['useful', 'noise'], { noise: 1 });
    assert.ok(weights.useful > 0);
    assert.ok(weights.useful > 4 * Math.max(0, weights.noise));
    for (const q of questions) {
      const top = [...q.hits].sort((a, b) => logitOf(weights, b.signals) - logitOf(weights, a.signals))[0];
      assert.equal(top.relevant, true);
    }
  });

  it('calibrates: the mean probability matches the share of relevant hits, the order is kept', () => {
    const questions = inventedQuestions(60);
    const calibrated = calibrate(questions, { bias: 5, useful: 3 });
    const hits = questions.flatMap((q) => q.hits);
    const mean = hits.reduce((sum, hit) => sum + sigmoid(logitOf(calibrated, hit.signals)), 0) / hits.length;
    assert.ok(Math.abs(mean - 0.1) < 0.01, `mean probability ${mean}`);
    assert.ok(calibrated.useful > 0);
  });
});
