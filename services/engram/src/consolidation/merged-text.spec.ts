import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergedText, normalisedText } from './merged-text';

describe('merged text of near-duplicates', () => {
  it("keeps the kept member's text when the others only reword it", () => {
    const kept = 'The team stand-up is at 9:30 every weekday in room 4.';
    assert.equal(mergedText(kept, ['The team stand-up is at 9:30 each weekday in room 4']), kept);
  });

  it('joins the sentences of the others that add facts, once each', () => {
    const merged = mergedText('The boiler is serviced in October', [
      'The boiler is serviced in October. The engineer is called Ines and parks behind the house.',
      'The engineer is called Ines and parks behind the house.',
    ]);
    assert.equal(merged, 'The boiler is serviced in October. The engineer is called Ines and parks behind the house.');
  });
});

describe('normalised text for exact duplicates', () => {
  it('ignores case and runs of whitespace, not punctuation or words', () => {
    assert.equal(normalisedText('  Buy  milk\n\ttoday '), normalisedText('buy milk today'));
    assert.notEqual(normalisedText('buy milk today.'), normalisedText('buy milk today'));
    assert.notEqual(normalisedText('buy milk tomorrow'), normalisedText('buy milk today'));
  });
});
