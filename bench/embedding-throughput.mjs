#!/usr/bin/env node
/**
 * Texts per second of the local USE-lite embedder for each engine, worker count and batch size.
 * Needs a build (npm run build). Usage:
 *   node bench/embedding-throughput.mjs [--texts 400] [--engine onnxruntime,tfjs-wasm]
 *     [--workers 1,2] [--batch 8,16,32,64] [--precision fp32,int8] [--words 8-40]
 *     [--dist services/engram/dist] [--json]
 * Texts are memory-like sentences of a deterministic, varied length (--words, in words).
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    texts: { type: 'string', default: '400' },
    engine: { type: 'string', default: 'onnxruntime,tfjs-wasm' },
    workers: {
      type: 'string',
      default: [...new Set([1, 2, availableParallelism()])].join(','),
    },
    batch: { type: 'string', default: '8,16,32,64' },
    precision: { type: 'string', default: 'fp32' },
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
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: count }, () => {
    const length = minWords + Math.floor(next() * (maxWords - minWords + 1));
    return Array.from({ length }, () => VOCABULARY[Math.floor(next() * VOCABULARY.length)]).join(' ') + '.';
  });
}

const names = (text) => text.split(',');
const list = (text) => names(text).map(Number);
const [minWords, maxWords] = list(args.words.replace('-', ','));
const texts = corpus(Number(args.texts), minWords, maxWords);
const rows = [];

for (const engine of names(args.engine)) {
  for (const workers of list(args.workers)) {
    for (const batchSize of list(args.batch)) {
      for (const precision of names(args.precision)) {
        if (engine === 'tfjs-wasm' && precision !== 'fp32') continue; // int8 is onnxruntime's alone
        const embedder = new LocalUseEmbedder({ batchSize, workers, engine, precision });
        const loadStarted = performance.now();
        await embedder.init();
        const loadMs = Math.round(performance.now() - loadStarted);
        await embedder.embed(texts.slice(0, batchSize * workers)); // warm-up: first runs allocate and compile
        const started = performance.now();
        await embedder.embed(texts);
        const seconds = (performance.now() - started) / 1000;
        const row = {
          engine: embedder.engine,
          precision,
          workers,
          batchSize,
          texts: texts.length,
          textsPerSecond: Math.round(texts.length / seconds),
          loadMs,
        };
        await embedder.close();
        rows.push(row);
        if (!args.json)
          console.log(
            `engine=${row.engine} precision=${precision} workers=${workers} batch=${batchSize}: ${row.textsPerSecond} texts/s (load ${loadMs} ms)`,
          );
      }
    }
  }
}

if (args.json) console.log(JSON.stringify({ cores: availableParallelism(), words: args.words, rows }, null, 2));
