#!/usr/bin/env node
/**
 * Engram benchmarks: storage and REST search latency from 10k memories up to 100k (`--scale 100k`,
 * the default) or 1M (`--scale 1m`), recall of the quantised vector path, 16 concurrent REST searches,
 * batch ingest rate, cold start, and api RSS. Writes bench/results/<name>.json, regenerates
 * docs/benchmarks.md from every JSON file in bench/results/ and draws docs/search-latency.svg.
 *   node bench/run.mjs [--quick] [--scale 100k|1m] [--name <results file name>]
 * Needs a build (npm run bench builds when sources changed).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Corpus } from './lib/corpus.mjs';
import { composedFidelity, composedMemories, embeddedSentences, startEmbedder, writeDatabase } from './lib/dataset.mjs';
import { ROOT } from './lib/dist.mjs';
import { benchIngest, benchRestConcurrency, benchRestSearch, benchStartup } from './lib/api-bench.mjs';
import { writeLatencyPlot } from './lib/latency-plot.mjs';
import { writeBenchmarksDoc } from './lib/render-doc.mjs';
import { benchStorage } from './lib/storage-bench.mjs';
import { machineInfo } from './lib/machine.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scale: { type: 'string', default: '100k' },
    name: { type: 'string' },
  },
});
const SCALES = { '100k': [10_000, 100_000], '1m': [10_000, 100_000, 1_000_000] };
if (!SCALES[args.scale]) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')}`);
const plan = args.quick
  ? { sizes: [10_000, 30_000], sentences: 2_000, queries: 100, ingest: 1_000, concurrencyAt: 30_000 }
  : { sizes: SCALES[args.scale], sentences: 4_000, queries: 200, ingest: 4_000, concurrencyAt: 100_000 };
/** Concurrent clients in the concurrency run, and queries each sends. */
const CLIENTS = 16;
const QUERIES_PER_CLIENT = 20;
const name = args.name ?? (args.quick ? 'engram-quick' : 'engram');
const resultsDir = join(ROOT, 'bench', 'results');
const file = join(resultsDir, `${name}.json`);
const work = mkdtempSync(join(tmpdir(), 'engram-bench-'));
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

try {
  const results = {
    kind: 'engram-bench',
    name,
    quick: args.quick,
    date: new Date().toISOString(),
    machine: machineInfo(),
  };

  log(`embedding ${plan.sentences} sentences and ${plan.queries} queries with the local model`);
  const embedder = await startEmbedder();
  const material = await embeddedSentences(embedder, plan.sentences);
  const largest = Math.max(...plan.sizes);
  const memories = composedMemories(material, largest);
  // Distinct texts: the api keeps recent query vectors, and a repeated query would measure that cache.
  const distinctQueries = [...new Set(new Corpus(99).queries(Math.max(plan.queries * 3, 1_000)))];
  const queryTexts = distinctQueries.slice(0, plan.queries);
  const restQueries = { warmup: distinctQueries.slice(plan.queries, plan.queries + 10), timed: queryTexts };
  const queryVectors = await embedder.embed(queryTexts);
  const queries = queryTexts.map((text, i) => ({ text, vector: queryVectors[i] }));
  results.dataset = {
    method: 'each memory joins two of the embedded sentences; its vector is the normalised sum of theirs',
    embeddedSentences: plan.sentences,
    embedSentencesSeconds: round(material.embedSeconds),
    composedVsRealCosine: await composedFidelity(embedder, memories.slice(0, 200)),
    model: embedder.modelId,
  };
  const model = { modelId: embedder.modelId, dimension: embedder.dimension };
  await embedder.close();

  results.search = [];
  for (const size of plan.sizes) {
    const path = join(work, `search-${size}.db`);
    log(`writing ${size} memories`);
    const { insertSeconds } = writeDatabase(path, memories.slice(0, size), model);
    log(`storage search at ${size}`);
    const storage = await benchStorage(path, queries, size);
    log(`REST search at ${size}`);
    const rest = await benchRestSearch(path, restQueries);
    const entry = { memories: size, storageInsertsPerSecond: Math.round(size / insertSeconds), storage, rest };
    if (size === plan.concurrencyAt) {
      log(`REST search at ${size}, ${CLIENTS} clients at once`);
      entry.concurrent = await benchRestConcurrency(path, distinctQueries, CLIENTS, QUERIES_PER_CLIENT);
    }
    if (size === largest) {
      log(`REST search at ${size} with one embedding worker`);
      entry.restOneWorker = await benchRestSearch(path, restQueries, { ENGRAM_EMBEDDING_WORKERS: '1' });
      results.startup = await benchStartup(join(work, 'startup.db'), path);
    }
    results.search.push(entry);
    rmSync(path, { force: true });
    saveResults(); // after every size, so a later failure keeps what was measured
  }

  function saveResults() {
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  log(`ingesting ${plan.ingest} memories through POST /api/memories/batch`);
  results.ingest = await benchIngest(join(work, 'ingest.db'), new Corpus(21).memories(plan.ingest), 100);

  if (!args.quick) {
    writeLatencyPlot(results, join(ROOT, 'docs', 'search-latency.svg'));
    results.plot = 'search-latency.svg'; // beside docs/benchmarks.md
  }
  saveResults();
  await writeBenchmarksDoc(resultsDir, join(ROOT, 'docs', 'benchmarks.md'));
  log(`wrote ${file} and docs/benchmarks.md`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function round(value) {
  return Math.round(value * 100) / 100;
}
