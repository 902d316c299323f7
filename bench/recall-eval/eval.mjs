#!/usr/bin/env node
/**
 * LoCoMo retrieval evaluation. For each conversation: a fresh Engram (real app on loopback, temp dir),
 * ingestion through POST /api/memories/batch, each question through POST /api/search, scored per
 * ../shared/data/locomo/README.md. Prints a table; `--json` ends with one JSON line; the aggregate
 * figures (never dataset content) go to bench/results/recall-<mode>-<search>.json unless `--no-write`.
 *
 *   npm run eval:locomo -- --data ../shared/data/locomo/locomo-dev.json --mode observations --search hybrid
 *
 * Search settings reach the app from the environment (MCP_HYBRID_*, ENGRAM_*), so tuning runs need no code.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { documentsOf, questionsOf } from './conversations.mjs';
import { CATEGORY_NAMES, scoreQuestion, summarise } from './scoring.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODES = ['observations', 'turns'];
const SEARCHES = ['hybrid', 'semantic', 'keyword'];
const RESULT_LIMIT = 10;
/** Batch requests stay well under ENGRAM_MAX_BATCH_ITEMS. */
const BATCH_SIZE = 500;
/** Questions in flight at once: enough to keep the embedder busy, not so many that latency matters. */
const QUERY_CONCURRENCY = 4;

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(ROOT, '..', 'shared', 'data', 'locomo', 'locomo-dev.json') },
    mode: { type: 'string', default: 'observations' },
    search: { type: 'string', default: 'hybrid' },
    json: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run eval:locomo -- [--data FILE] [--mode observations|turns] [--search hybrid|semantic|keyword]',
  );
  console.log('                       [--json] [--no-write]');
  process.exit(0);
}
if (!MODES.includes(args.mode)) fail(`--mode must be one of ${MODES.join(', ')}`);
if (!SEARCHES.includes(args.search)) fail(`--search must be one of ${SEARCHES.join(', ')}`);

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

const started = performance.now();
const scored = [];
for (const sample of samples) {
  const sampleStarted = performance.now();
  const app = await startTestApp(forwardedEnv());
  try {
    const idsByHash = await ingest(app, documentsOf(sample, args.mode));
    const questions = questionsOf(sample);
    const results = await mapLimited(questions, QUERY_CONCURRENCY, (qa) => search(app, qa.question, idsByHash));
    questions.forEach((qa, i) => scored.push({ category: qa.category, ...scoreQuestion(results[i], qa.evidence) }));
    const seconds = ((performance.now() - sampleStarted) / 1000).toFixed(1);
    console.error(`${sample.sample_id}: ${idsByHash.size} memories, ${questions.length} questions, ${seconds} s`);
  } finally {
    await app.close();
  }
}

const summary = summarise(scored);
const report = {
  mode: args.mode,
  search: args.search,
  ...summary,
  data: basename(dataPath),
  settings: Object.fromEntries(Object.entries(forwardedEnv()).filter(([name]) => name.startsWith('MCP_HYBRID_'))),
  seconds: Math.round((performance.now() - started) / 1000),
};
printTable(report);
if (!args['no-write']) {
  const file = join(ROOT, 'bench', 'results', `recall-${args.mode}-${args.search}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: 'locomo', generated_at: new Date().toISOString(), ...report }, null, 2)}\n`,
  );
  console.error(`wrote ${file}`);
}
if (args.json) console.log(JSON.stringify(report));

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

/** The ranked results of one question, each as the list of dia_ids its memory carries. */
async function search(app, query, idsByHash) {
  const response = await app.request('POST', '/api/search', {
    body: { query, mode: args.search, limit: RESULT_LIMIT },
  });
  if (response.status !== 200) fail(`search answered ${response.status}: ${response.text.slice(0, 300)}`);
  return response.body.results.map((hit) => [...(idsByHash.get(hit.memory.content_hash) ?? [])]);
}

/** Search and embedding knobs from the environment; storage path and port stay the test app's own. */
function forwardedEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) =>
      /^(MCP_HYBRID_|ENGRAM_EMBEDDING_|ENGRAM_ONNX_|MCP_EXTERNAL_EMBEDDING_)/.test(name),
    ),
  );
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
