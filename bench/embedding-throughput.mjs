#!/usr/bin/env node
/**
 * Texts per second of the local USE-lite embedder for several worker counts and batch sizes.
 * Needs a build (npm run build). Usage:
 *   node bench/embedding-throughput.mjs [--texts 400] [--workers 1,2] [--batch 8,16,32,64]
 *     [--words 8-40] [--dist services/engram/dist] [--json]
 * Texts are memory-like sentences of a deterministic, varied length (--words, in words).
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    texts: { type: 'string', default: '400' },
    workers: { type: 'string', default: [...new Set([1, 2, availableParallelism()])].join(',') },
    batch: { type: 'string', default: '8,16,32,64' },
    words: { type: 'string', default: '8-40' },
    dist: { type: 'string', default: 'services/engram/dist' },
    json: { type: 'boolean', default: false },
  },
});

const require = createRequire(import.meta.url);
const { LocalUseEmbedder } = require(resolve(args.dist, 'embeddings/local-use.embedder.js'));

const VOCABULARY = (
  'the user prefers dark roast coffee every morning before the standup meeting and asked me to remember ' +
  'that the database migration is scheduled for friday while her sister visits from lisbon next week ' +
  'project deadline invoice python typescript deploy server kitchen garden hiking trip budget report ' +
  'allergic to peanuts favourite band concert tickets bought yesterday flight delayed hotel booking'
).split(' ');

/** Deterministic pseudo-random sentences, so runs are comparable. */
function corpus(count, minWords, maxWords) {
  let seed = 42;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: count }, () => {
    const length = minWords + Math.floor(next() * (maxWords - minWords + 1));
    return Array.from({ length }, () => VOCABULARY[Math.floor(next() * VOCABULARY.length)]).join(' ') + '.';
  });
}

const list = (text) => text.split(',').map(Number);
const [minWords, maxWords] = list(args.words.replace('-', ','));
const texts = corpus(Number(args.texts), minWords, maxWords);
const rows = [];

for (const workers of list(args.workers)) {
  for (const batchSize of list(args.batch)) {
    const embedder = new LocalUseEmbedder({ batchSize, workers });
    const loadStarted = performance.now();
    await embedder.init();
    const loadMs = performance.now() - loadStarted;
    await embedder.embed(texts.slice(0, batchSize * workers)); // warm-up: first runs compile kernels
    const started = performance.now();
    await embedder.embed(texts);
    const seconds = (performance.now() - started) / 1000;
    await embedder.close();
    const row = { workers, batchSize, texts: texts.length, textsPerSecond: Math.round((texts.length / seconds) * 10) / 10, loadMs: Math.round(loadMs) };
    rows.push(row);
    if (!args.json) console.log(`workers=${workers} batch=${batchSize}: ${row.textsPerSecond} texts/s (load ${row.loadMs} ms)`);
  }
}

if (args.json) console.log(JSON.stringify({ cores: availableParallelism(), words: args.words, rows }, null, 2));
