#!/usr/bin/env node
/**
 * Engram benchmarks: storage and REST search latency from 10k memories up to 100k (`--scale 100k`,
 * the default) or 1M (`--scale 1m`), recall of the quantised vector path, 16 concurrent REST searches,
 * batch ingest rate, cold start, and api RSS. Writes bench/results/<name>.json, regenerates
 * docs/benchmarks.md from every JSON file in bench/results/ and draws docs/search-latency.svg.
 * `--note` is printed beside the figures (say what else loaded the machine).
 * `--storage postgres` runs the same search and ingest benchmarks on the PostgreSQL adapter, served by
 * PGlite over the wire (lib/storage-backend.mjs): at 10k memories (2k with --quick), and a floor.
 *   node bench/run.mjs [--quick] [--storage sqlite|postgres] [--scale 100k|1m] [--name <results file name>] [--note <text>]
 * Needs a build (npm run bench builds when sources changed).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Corpus } from './lib/corpus.mjs';
import { composedFidelity, composedMemories, embeddedSentences, startEmbedder, writeDatabase } from './lib/dataset.mjs';
import { ROOT } from './lib/dist.mjs';
import { benchIngest, benchRestConcurrency, benchRestSearch, benchStartOnce, benchStartup } from './lib/api-bench.mjs';
import { writeLatencyPlot } from './lib/latency-plot.mjs';
import { writeBenchmarksDoc } from './lib/render-doc.mjs';
import { benchStorage, HYBRID_KEYWORD_POOL, HYBRID_VECTOR_POOL } from './lib/storage-bench.mjs';
import { benchPostgresStorage, writePostgresDatabase } from './lib/postgres-storage-bench.mjs';
import { machineInfo } from './lib/machine.mjs';
import { parseBenchArgs } from './lib/bench-args.mjs';
import { PGLITE_LABEL, startBenchPostgres } from './lib/storage-backend.mjs';

let args;
try {
  args = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(2);
}
const plan = args.plan;
/** Concurrent clients in the concurrency run, and queries each sends. */
const CLIENTS = 16;
const QUERIES_PER_CLIENT = 20;
const name = args.name;
const resultsDir = join(ROOT, 'bench', 'results');
const file = join(resultsDir, `${name}.json`);
const work = mkdtempSync(join(tmpdir(), 'engram-bench-'));
const log = (message) => process.stderr.write(`[bench] ${message}\n`);
/** Where the search databases are written and searched: set once the model is known. */
let target;

try {
  const results = {
    kind: 'engram-bench',
    name,
    quick: args.quick,
    storage: args.storage === 'postgres' ? PGLITE_LABEL : 'sqlite',
    ...(args.note ? { note: args.note } : {}),
    date: new Date().toISOString(),
    machine: machineInfo(),
    /** What each list gives a limit-10 hybrid search in the storage rows (runs before 2026-12-04: 100 each). */
    candidates: { keyword: HYBRID_KEYWORD_POOL, vector: HYBRID_VECTOR_POOL },
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
  target = args.storage === 'postgres' ? await postgresTarget(model) : sqliteTarget(model);
  for (const size of plan.sizes) {
    const path = join(work, `search-${size}.db`);
    log(`writing ${size} memories`);
    const { insertSeconds } = await target.write(path, memories.slice(0, size));
    log(`storage search at ${size}`);
    const storage = await target.storage(path, queries, size);
    log(`REST search at ${size}`);
    const rest = await benchRestSearch(path, restQueries, target.env);
    const entry = { memories: size, storageInsertsPerSecond: Math.round(size / insertSeconds), storage, rest };
    if (size === plan.concurrencyAt) {
      log(`REST search at ${size}, ${CLIENTS} clients at once`);
      entry.concurrent = await benchRestConcurrency(path, distinctQueries, CLIENTS, QUERIES_PER_CLIENT, target.env);
    }
    if (size === largest) {
      log(`REST search at ${size} with one embedding worker`);
      entry.restOneWorker = await benchRestSearch(path, restQueries, { ...target.env, ENGRAM_EMBEDDING_WORKERS: '1' });
      results.startup = await target.startup(join(work, 'startup.db'), path);
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
  await target.empty();
  results.ingest = await benchIngest(join(work, 'ingest.db'), new Corpus(21).memories(plan.ingest), 100, target.env);
  results.ingest.precision = 'int8'; // the default
  log(`the same with the local model in fp32 (ENGRAM_EMBEDDING_PRECISION=fp32)`);
  await target.empty();
  results.ingestFp32 = await benchIngest(join(work, 'ingest.db'), new Corpus(21).memories(plan.ingest), 100, {
    ...target.env,
    ENGRAM_EMBEDDING_PRECISION: 'fp32',
  });

  if (!args.quick && args.storage === 'sqlite') {
    writeLatencyPlot(results, join(ROOT, 'docs', 'search-latency.svg'));
    results.plot = 'search-latency.svg'; // beside docs/benchmarks.md
  }
  saveResults();
  await writeBenchmarksDoc(resultsDir, join(ROOT, 'docs', 'benchmarks.md'));
  log(`wrote ${file} and docs/benchmarks.md`);
} finally {
  await target?.close();
  rmSync(work, { recursive: true, force: true });
}

/** Where the search databases live: a new SQLite file per size (the default, unchanged). */
function sqliteTarget(model) {
  return {
    env: {},
    write: (path, rows) => writeDatabase(path, rows, model),
    storage: (path, queries, size) => benchStorage(path, queries, size),
    startup: (newPath, bigPath) => benchStartup(newPath, bigPath),
    empty: async () => undefined,
    close: async () => undefined,
  };
}

/**
 * The PGlite server, emptied before each size and before the ingest run; the api processes reach it
 * over TCP. Start-up is measured on the largest database only: a new PostgreSQL database per start is
 * not what the SQLite rows compare.
 */
async function postgresTarget(model) {
  const server = await startBenchPostgres();
  return {
    env: server.env,
    async write(_path, rows) {
      await server.reset();
      return writePostgresDatabase(server.settings, rows, model);
    },
    storage: (_path, queries, size) => benchPostgresStorage(server.settings, model, queries, size),
    startup: async (_newPath, bigPath) => ({
      existingLargeDatabase: await benchStartOnce(bigPath, { env: server.env }),
    }),
    empty: () => server.reset(),
    close: () => server.close(),
  };
}

function round(value) {
  return Math.round(value * 100) / 100;
}
