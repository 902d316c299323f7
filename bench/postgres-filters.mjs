#!/usr/bin/env node
/**
 * Filtered search on a real PostgreSQL server (pgvector HNSW): p50 of the vector leg and of hybrid
 * search (both legs at once, as CandidateRanker asks) unfiltered, with one tag, all of two tags and a type
 * with a tag, and the vector leg's recall@10 against an exact scan of the memories each filter admits.
 *   node bench/postgres-filters.mjs --url postgres://… [--memories 50000] [--load] [--queries 100]
 * --load fills the empty database first (bench/lib/dataset.mjs: composed USE-lite vectors, generated
 * tags, types and times); without it the database --url names is searched as it is.
 */
import { parseArgs } from 'node:util';
import { Corpus } from './lib/corpus.mjs';
import { composedMemories, embeddedSentences, startEmbedder } from './lib/dataset.mjs';
import { fromDist } from './lib/dist.mjs';
import { summarise } from './lib/stats.mjs';
import { recall, writePostgresDatabase } from './lib/postgres-storage-bench.mjs';
import { HYBRID_KEYWORD_POOL, HYBRID_VECTOR_POOL } from './lib/storage-bench.mjs';

const { openPostgresStores } = fromDist('storage/postgres/postgres.stores.js');
const { numbered } = fromDist('storage/postgres/postgres.database.js');
const { keywordTerms } = fromDist('search/keyword-terms.js');
const { memoryFilterSql } = fromDist('storage/memory-filter.sql.js');

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    memories: { type: 'string', default: '50000' },
    queries: { type: 'string', default: '100' },
    load: { type: 'boolean', default: false },
  },
});
if (!values.url) {
  process.stderr.write('usage: node bench/postgres-filters.mjs --url postgres://… [--memories n] [--load]\n');
  process.exit(64);
}
const settings = { url: values.url, poolSize: 4, statementTimeoutMs: 120_000 };
const log = (message) => process.stderr.write(`[postgres-filters] ${message}\n`);

const FILTERS = {
  unfiltered: {},
  'one tag (travel)': { tags: ['travel'] },
  'all of two tags (work, travel)': { tags: ['work', 'travel'], tagMatch: 'all' },
  'all of two tags (family, finance)': { tags: ['family', 'finance'], tagMatch: 'all' },
  'type and tag (decision, travel)': { memoryType: 'decision', tags: ['travel'] },
  'type and tag (note, work)': { memoryType: 'note', tags: ['work'] },
};

const embedder = await startEmbedder();
const model = { modelId: embedder.modelId, dimension: embedder.dimension };
const queryTexts = [...new Set(new Corpus(99).queries(Number(values.queries) * 3))].slice(0, Number(values.queries));
const queryVectors = await embedder.embed(queryTexts);
if (values.load) {
  log(`embedding sentences and writing ${values.memories} memories`);
  const material = await embeddedSentences(embedder, 4_000);
  const { insertSeconds } = await writePostgresDatabase(
    settings,
    composedMemories(material, Number(values.memories)),
    model,
  );
  log(`written in ${Math.round(insertSeconds)} s`);
}
await embedder.close();
const cases = queryTexts.map((text, i) => ({ vector: queryVectors[i], terms: keywordTerms(text) }));

const stores = await openPostgresStores(settings, model);
try {
  for (const [name, narrowing] of Object.entries(FILTERS)) {
    const filter = { namespace: 'default', ...narrowing };
    const vector = await timed(cases, (q) => stores.search.vectorCandidates(q.vector, filter, HYBRID_VECTOR_POOL));
    const hybrid = await timed(cases, (q) =>
      Promise.all([
        stores.search.vectorCandidates(q.vector, filter, HYBRID_VECTOR_POOL),
        stores.search.keywordCandidates(q.terms, filter, HYBRID_KEYWORD_POOL),
      ]),
    );
    const figures = {
      admitted: await admitted(filter),
      vector,
      hybrid,
      recallAt10: await recall(stores, cases.slice(0, 30), filter),
    };
    process.stdout.write(`${JSON.stringify({ filter: name, ...figures })}\n`);
  }
} finally {
  await stores.close();
}

async function timed(inputs, fn) {
  for (const input of inputs.slice(0, 10)) await fn(input);
  const samples = [];
  for (const input of inputs) {
    const started = performance.now();
    await fn(input);
    samples.push(performance.now() - started);
  }
  const { p50, p95 } = summarise(samples);
  return { p50, p95 };
}

async function admitted(filter) {
  const where = memoryFilterSql(filter);
  const sql = `SELECT count(*)::int AS count FROM memories m WHERE ${numbered(where.sql)}`;
  const [row] = await stores.db.query(sql, where.params);
  return row.count;
}
