#!/usr/bin/env node
/**
 * LoCoMo retrieval evaluation. For each conversation: a fresh Engram (real app on loopback, temp dir),
 * ingestion through POST /api/memories/batch, each question through POST /api/search, scored per
 * ../shared/data/locomo/README.md. Prints a table; `--json` ends with one JSON line; the aggregate
 * figures (never dataset content) go to bench/results/recall-<mode>-<search>.json unless `--no-write`.
 *
 *   npm run eval:locomo -- --data ../shared/data/locomo/locomo-dev.json --mode observations --search hybrid
 *   npm run eval:locomo -- --conversations conv-26,conv-30          the tuning split only
 *   npm run eval:locomo -- --embedding-url http://gpu:8001/v1 --embedding-model Qwen/Qwen3-Embedding-0.6B \
 *                          --rerank-url http://gpu:8002/v1 --rerank-model Qwen/Qwen3-Reranker-0.6B
 *
 * Search settings reach the app from the environment (MCP_HYBRID_*, ENGRAM_*), so tuning runs need no code;
 * ENGRAM_EMBEDDING_PRECISION=fp32 makes the bundled model behind the cache run in fp32 (the api's default is int8).
 * Embeddings go through a cache (embedding-cache.mjs) unless `--no-cache`, so repeated runs embed only what
 * they have not seen.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { documentsOf, questionsOf } from './conversations.mjs';
import { startEmbeddingCache } from './embedding-cache.mjs';
import { calibrate, fitRelevance as fitWeights, logitOf } from './logistic-fit.mjs';
import { CATEGORY_NAMES, recallAtK, scoreQuestion, summarise } from './scoring.mjs';
import { fromDist } from '../lib/dist.mjs';
import { PGLITE_LABEL, parseStorageBackend, startBenchPostgres } from '../lib/storage-backend.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODES = ['observations', 'turns'];
const SEARCHES = ['hybrid', 'semantic', 'keyword'];
const RESULT_LIMIT = 10;
/** Hits per question the relevance fit learns from. */
const FIT_DEPTH = 100;
/** Batch requests stay well under ENGRAM_MAX_BATCH_ITEMS. */
const BATCH_SIZE = 500;
/** Questions in flight at once: enough to keep the embedder busy, not so many that latency matters. */
const QUERY_CONCURRENCY = 4;

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(ROOT, '..', 'shared', 'data', 'locomo', 'locomo-dev.json') },
    mode: { type: 'string', default: 'observations' },
    search: { type: 'string', default: 'hybrid' },
    storage: { type: 'string', default: 'sqlite' },
    conversations: { type: 'string' },
    'embedding-url': { type: 'string' },
    'embedding-model': { type: 'string' },
    'rerank-url': { type: 'string' },
    'rerank-model': { type: 'string' },
    'rerank-api': { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
    'show-misses': { type: 'string' },
    'min-score': { type: 'string' },
    fit: { type: 'boolean', default: false },
    reliability: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run eval:locomo -- [--data FILE] [--mode observations|turns] [--search hybrid|semantic|keyword]',
  );
  console.log(`         [--storage sqlite|postgres]   postgres: ${PGLITE_LABEL}`);
  console.log('         [--conversations ID,ID…] [--embedding-url URL --embedding-model NAME]');
  console.log(
    '         [--rerank-url URL --rerank-model NAME [--rerank-api jina|tei]] [--no-cache] [--json] [--no-write]',
  );
  console.log('API keys come from MCP_EXTERNAL_EMBEDDING_API_KEY and ENGRAM_RERANK_API_KEY.');
  process.exit(0);
}
if (!MODES.includes(args.mode)) fail(`--mode must be one of ${MODES.join(', ')}`);
if (!SEARCHES.includes(args.search)) fail(`--search must be one of ${SEARCHES.join(', ')}`);
let storage;
try {
  storage = parseStorageBackend(args.storage);
} catch (error) {
  fail(error.message);
}
const minScore = args['min-score'] === undefined ? undefined : Number(args['min-score']);
if (minScore !== undefined && !(minScore >= 0 && minScore <= 1)) fail('--min-score must be a number from 0 to 1');
if (!args['embedding-url'] !== !args['embedding-model']) fail('--embedding-url and --embedding-model go together');
if (args['rerank-model'] && !args['rerank-url']) fail('--rerank-model needs --rerank-url');

const { startTestApp } = await import(join(ROOT, 'services/engram/dist/testing/test-app.js')).catch(() =>
  fail('Engram is not built: run `npm run build` (or use `npm run eval:locomo`)'),
);

const dataPath = resolve(process.cwd(), args.data);
let samples;
try {
  samples = JSON.parse(readFileSync(dataPath, 'utf8'));
} catch (error) {
  fail(`cannot read the LoCoMo data at ${dataPath}: ${error.message}`);
}

const wanted = args.conversations
  ?.split(',')
  .map((id) => id.trim())
  .filter(Boolean);
if (wanted) {
  const unknown = wanted.filter((id) => !samples.some((sample) => sample.sample_id === id));
  if (unknown.length > 0) fail(`--conversations: ${unknown.join(', ')} not in ${basename(dataPath)}`);
  samples = samples.filter((sample) => wanted.includes(sample.sample_id));
}

const cache = args['no-cache'] ? undefined : await startEmbeddingCache({ upstream: embeddingUpstream() });
const postgres = storage === 'postgres' ? await startBenchPostgres() : undefined;
const appEnv = { ...forwardedEnv(), ...embeddingEnv(cache), ...rerankEnv(), ...postgres?.env };
const started = performance.now();
if (args.fit) {
  await fitRelevance();
  await cache?.close();
  process.exit(0);
}
const { scored, labelled } = await evaluate(args.mode, RESULT_LIMIT);
await cache?.close();
await postgres?.close();

const summary = summarise(scored);
const report = {
  mode: args.mode,
  search: args.search,
  storage: postgres ? `postgres: ${PGLITE_LABEL}` : 'sqlite', // as each app reported it (expectBackend)
  ...summary,
  data: basename(dataPath),
  settings: settingsUsed(),
  seconds: Math.round((performance.now() - started) / 1000),
};
printTable(report);
if (args.reliability) printReliability(labelled);
if (cache) console.error(`embedding cache: ${cache.stats.hits} hits, ${cache.stats.misses} texts embedded`);
if (!args['no-write']) {
  const suffix = `${wanted ? `-${wanted.join('+')}` : ''}${postgres ? '-postgres' : ''}`;
  const file = join(ROOT, 'bench', 'results', `recall-${args.mode}-${args.search}${suffix}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: 'locomo', generated_at: new Date().toISOString(), ...report }, null, 2)}\n`,
  );
  console.error(`wrote ${file}`);
}
if (args.json) console.log(JSON.stringify(report));

/**
 * Runs every selected conversation in one granularity: a fresh Engram, ingestion, every question. Returns
 * the scores, and per question the hits and whether each carries evidence (for `--fit`).
 */
async function evaluate(mode, limit) {
  const scored = [];
  const labelled = [];
  for (const sample of samples) {
    const sampleStarted = performance.now();
    await postgres?.reset(); // each conversation on an empty database, as each gets a new SQLite file
    const app = await startTestApp(appEnv);
    try {
      await expectBackend(app);
      const documents = documentsOf(sample, mode);
      const idsByHash = await ingest(app, documents);
      const questions = questionsOf(sample);
      const hits = await mapLimited(questions, QUERY_CONCURRENCY, (qa) => search(app, qa.question, limit));
      const results = hits.map((list) => list.map((hit) => [...(idsByHash.get(hit.memory.content_hash) ?? [])]));
      questions.forEach((qa, i) => {
        scored.push({ category: qa.category, ...scoreQuestion(results[i], qa.evidence) });
        const wanted = new Set(qa.evidence);
        labelled.push({
          category: qa.category,
          evidence: qa.evidence,
          hits: hits[i].map((hit, rank) => ({
            score: hit.score,
            signals: hit.signals,
            ids: results[i][rank],
            relevant: results[i][rank].some((id) => wanted.has(id)),
          })),
        });
      });
      if (args['show-misses']) showMisses(questions, hits, results, documents, Number(args['show-misses']));
      const seconds = ((performance.now() - sampleStarted) / 1000).toFixed(1);
      console.error(
        `${sample.sample_id} (${mode}): ${idsByHash.size} memories, ${questions.length} questions, ${seconds} s`,
      );
    } finally {
      await app.close();
    }
  }
  return { scored, labelled };
}

/**
 * `--fit`: fits the relevance model's weights to the selected conversations, both granularities pooled,
 * from the signals of each question's top FIT_DEPTH hits. Prints them as ENGRAM_SEARCH_RELEVANCE_WEIGHTS
 * and what re-ranking those hits by them would score (run the evaluation with them set to measure it).
 */
async function fitRelevance() {
  const { CONTEXT_SIGNAL, HYBRID_SIGNALS, KEYWORD_SIGNALS, SEMANTIC_SIGNALS } = fromDist('config/relevance-model.js');
  const served = fromDist('config/config.loader.js').loadConfig({ env: appEnv }).search.relevanceWeights;
  const byMode = {};
  for (const mode of MODES) byMode[mode] = (await evaluate(mode, FIT_DEPTH)).labelled.filter((q) => q.category !== 5);
  const questions = Object.values(byMode).flat();
  const models =
    args.search === 'hybrid'
      ? fitHybrid(questions, [...HYBRID_SIGNALS], CONTEXT_SIGNAL, served.hybrid_context)
      : {
          [args.search]: fitWeights(
            questions,
            args.search === 'semantic' ? SEMANTIC_SIGNALS : KEYWORD_SIGNALS,
            served[args.search],
          ),
        };
  const final = models.hybrid_context ?? models[args.search];
  for (const [mode, questions] of Object.entries(byMode)) {
    const before = questions.map((q) =>
      recallAtK(
        q.hits.map((hit) => hit.ids),
        q.evidence,
        5,
      ),
    );
    const after = questions.map((q) => {
      const ranked = [...q.hits].sort((a, b) => logitOf(final, b.signals) - logitOf(final, a.signals));
      return recallAtK(
        ranked.map((hit) => hit.ids),
        q.evidence,
        5,
      );
    });
    const mean = (values) => (values.reduce((sum, value) => sum + value, 0) / values.length).toFixed(3);
    const ceiling = questions.map((q) =>
      recallAtK(
        q.hits.map((hit) => hit.ids),
        q.evidence,
        FIT_DEPTH,
      ),
    );
    console.error(
      `${mode}: R@5 of the top ${FIT_DEPTH} as served ${mean(before)}, re-ranked by the fit ${mean(after)}; ` +
        `R@${FIT_DEPTH} ${mean(ceiling)}`,
    );
  }
  const rounded = Object.fromEntries(
    Object.entries(models).map(([name, weights]) => [
      name,
      Object.fromEntries(Object.entries(weights).map(([signal, value]) => [signal, Math.round(value * 1000) / 1000])),
    ]),
  );
  console.log(`ENGRAM_SEARCH_RELEVANCE_WEIGHTS='${JSON.stringify(rounded)}'`);
}

/**
 * Both hybrid passes from one fit: the second pass's weights, and the first pass as the same weights
 * without the neighbour signal, recalibrated (its probabilities are what neighbours lend).
 */
function fitHybrid(questions, signals, contextSignal, start) {
  const hybridContext = fitWeights(questions, [...signals, contextSignal], start);
  const { [contextSignal]: _context, ...firstPass } = hybridContext;
  return { hybrid: calibrate(questions, firstPass), hybrid_context: hybridContext };
}

/**
 * Stores the documents and returns content hash → every dia_id credited to that text. Identical texts
 * are one memory in Engram (deduplicated by content hash), so their ids are merged here, not lost.
 */
async function ingest(app, documents) {
  const idsByHash = new Map();
  for (let start = 0; start < documents.length; start += BATCH_SIZE) {
    const chunk = documents.slice(start, start + BATCH_SIZE);
    const body = {
      memories: chunk.map((doc) => ({
        content: doc.content,
        ...(doc.createdAt ? { created_at: doc.createdAt } : {}),
        metadata: { dia_ids: doc.diaIds },
      })),
    };
    const response = await app.request('POST', '/api/memories/batch', { body });
    if (response.status !== 200) fail(`batch store answered ${response.status}: ${response.text.slice(0, 300)}`);
    response.body.results.forEach(({ index, content_hash: hash }) => {
      const ids = idsByHash.get(hash) ?? new Set();
      for (const id of chunk[index].diaIds) ids.add(id);
      idsByHash.set(hash, ids);
    });
  }
  return idsByHash;
}

/** Stops the run unless the app serves from the backend `--storage` asked for (its status report says). */
async function expectBackend(app) {
  const response = await app.request('GET', '/api/health/detailed');
  const served = response.body?.storage?.backend;
  const expected = postgres ? 'postgres' : 'sqlite_vec';
  if (served !== expected) fail(`--storage ${storage}: the app reports storage backend ${served}, not ${expected}`);
}

/** The ranked hits of one question. */
async function search(app, query, limit) {
  const response = await app.request('POST', '/api/search', {
    body: { query, mode: args.search, limit, ...(minScore === undefined ? {} : { min_score: minScore }) },
  });
  if (response.status !== 200) fail(`search answered ${response.status}: ${response.text.slice(0, 300)}`);
  return response.body.results;
}

/**
 * `--show-misses N`: prints (to the terminal only) up to N questions whose evidence is missing from the
 * top 5, with the evidence and what ranked instead, for looking at failure kinds while tuning.
 */
function showMisses(questions, hits, results, documents, count) {
  const textOf = new Map(documents.flatMap((doc) => doc.diaIds.map((id) => [id, doc.content])));
  const misses = questions
    .map((qa, i) => ({ qa, hits: hits[i], recall: scoreQuestion(results[i], qa.evidence).r_at_5 }))
    .filter(({ qa, recall }) => recall < 1 && qa.category !== 5);
  for (const { qa, hits: list, recall } of misses.slice(0, count)) {
    console.error(`\n[${CATEGORY_NAMES[qa.category]}] R@5 ${recall.toFixed(2)}  ${qa.question}`);
    for (const id of qa.evidence) console.error(`   want ${id}: ${textOf.get(id) ?? '(no document)'}`);
    for (const hit of list.slice(0, 5)) {
      const legs = `${hit.score.toFixed(2)} cos ${hit.similarity_score?.toFixed(2)} bm25 ${hit.keyword_score?.toFixed(1) ?? '-'}`;
      console.error(`   got  [${legs}] ${hit.memory.content.slice(0, 120)}`);
    }
  }
}

/** Search, embedding and rerank knobs from the environment; storage path and port stay the test app's own. */
function forwardedEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) =>
      /^(MCP_HYBRID_|ENGRAM_SEARCH_|ENGRAM_EMBEDDING_|ENGRAM_ONNX_|MCP_EXTERNAL_EMBEDDING_|ENGRAM_RERANK_)/.test(name),
    ),
  );
}

/** `--embedding-url/--embedding-model`, else what the environment names, else the bundled model. */
function embeddingUpstream() {
  const url = args['embedding-url'] ?? process.env.MCP_EXTERNAL_EMBEDDING_URL;
  const model = args['embedding-model'] ?? process.env.MCP_EXTERNAL_EMBEDDING_MODEL;
  if (!url || !model) return undefined;
  return { url, model, apiKey: process.env.MCP_EXTERNAL_EMBEDDING_API_KEY };
}

/** Points Engram at the cache, or (without one) at `--embedding-url` directly. */
function embeddingEnv(cache) {
  if (cache) {
    return {
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: cache.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: cache.model,
      MCP_EXTERNAL_EMBEDDING_API_KEY: '',
    };
  }
  const upstream = embeddingUpstream();
  if (!upstream) return {};
  return {
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: upstream.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: upstream.model,
  };
}

function rerankEnv() {
  if (!args['rerank-url']) return {};
  return {
    ENGRAM_RERANK_URL: args['rerank-url'],
    ...(args['rerank-model'] ? { ENGRAM_RERANK_MODEL: args['rerank-model'] } : {}),
    ...(args['rerank-api'] ? { ENGRAM_RERANK_API: args['rerank-api'] } : {}),
  };
}

/** What produced the figures: models, endpoints (origins only: a URL may carry credentials) and knobs. */
function settingsUsed() {
  const upstream = embeddingUpstream();
  const knobs = Object.entries(appEnv).filter(([name]) =>
    /^(MCP_HYBRID_|ENGRAM_SEARCH_|ENGRAM_RERANK_(CANDIDATES|TIMEOUT_MS|API)$)/.test(name),
  );
  return {
    ...Object.fromEntries(knobs),
    conversations: samples.map((sample) => sample.sample_id),
    min_score: minScore ?? null,
    embedding: upstream
      ? { provider: 'openai', url: new URL(upstream.url).origin, model: upstream.model }
      : { provider: 'local', model: cache?.upstreamModel ?? 'bundled' },
    rerank: appEnv.ENGRAM_RERANK_URL
      ? { url: new URL(appEnv.ENGRAM_RERANK_URL).origin, model: appEnv.ENGRAM_RERANK_MODEL ?? null }
      : null,
    embedding_cache: cache !== undefined,
  };
}

async function mapLimited(items, concurrency, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * `--reliability`: how often a hit in each score band carries evidence. For a calibrated score the share
 * is close to the band's mean score, on the tuning and the check conversations alike.
 */
function printReliability(labelled) {
  const bands = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 1.0001];
  const hits = labelled.filter((q) => q.category !== 5).flatMap((q) => q.hits);
  console.log(
    `${'score band'.padEnd(14)} ${'hits'.padStart(6)} ${'mean score'.padStart(11)} ${'relevant'.padStart(9)}`,
  );
  for (let i = 0; i < bands.length - 1; i++) {
    const inBand = hits.filter((hit) => hit.score >= bands[i] && hit.score < bands[i + 1]);
    if (inBand.length === 0) continue;
    const mean = inBand.reduce((sum, hit) => sum + hit.score, 0) / inBand.length;
    const share = inBand.filter((hit) => hit.relevant).length / inBand.length;
    const label = `${bands[i]}–${Math.min(1, bands[i + 1])}`;
    console.log(
      `${label.padEnd(14)} ${String(inBand.length).padStart(6)} ${mean.toFixed(3).padStart(11)} ${share.toFixed(3).padStart(9)}`,
    );
  }
}

function printTable(report) {
  const rows = [
    ['all (without 5)', report],
    ...Object.entries(report.by_category).map(([category, figures]) => [`${category} ${figures.name}`, figures]),
  ];
  if (report.category_5) rows.push([`5 ${CATEGORY_NAMES[5]} (apart)`, report.category_5]);
  console.log(`LoCoMo ${report.data}: mode=${report.mode} search=${report.search}`);
  console.log(
    `${'questions'.padEnd(20)} ${'n'.padStart(5)} ${'R@5'.padStart(7)} ${'R@10'.padStart(7)} ${'MRR'.padStart(7)}`,
  );
  for (const [label, figures] of rows) {
    const cells = [figures.r_at_5, figures.r_at_10, figures.mrr].map((value) => value.toFixed(3).padStart(7));
    console.log(`${label.padEnd(20)} ${String(figures.questions).padStart(5)} ${cells.join(' ')}`);
  }
}

function fail(message) {
  console.error(`eval:locomo: ${message}`);
  process.exit(1);
}
