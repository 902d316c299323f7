/**
 * The storage benchmarks on the PostgreSQL adapter: the database written through its MemoryStore, and
 * search latency of its SearchStore (the port the api calls), in the shape storage-bench.mjs reports
 * for SQLite. The server is PGlite (see storage-backend.mjs): single-threaded, so a floor.
 */
import { memoryChunks } from './dataset.mjs';
import { fromDist } from './dist.mjs';
import { timeEach } from './stats.mjs';
import {
  ALL,
  HYBRID_KEYWORD_POOL,
  HYBRID_VECTOR_POOL,
  RECALL_K,
  RECENT_TRAVEL,
  recallQueries,
} from './storage-bench.mjs';

const { openPostgresStores } = fromDist('storage/postgres/postgres.stores.js');
const { numbered, vectorLiteral } = fromDist('storage/postgres/postgres.database.js');
const { keywordTerms } = fromDist('search/keyword-terms.js');
const { memoryFilterSql } = fromDist('storage/memory-filter.sql.js');

/** Migrates the empty database, binds the model and writes the memories through the adapter. */
export async function writePostgresDatabase(settings, memories, model) {
  const stores = await openPostgresStores(settings, model);
  try {
    const started = performance.now();
    for (const chunk of memoryChunks(memories)) await stores.memories.insertMany(chunk);
    const insertSeconds = (performance.now() - started) / 1000;
    // PGlite runs no autovacuum. A PostgreSQL server's would analyze the table after such a load, and the
    // keyword leg reads the planner's statistics (postgres-keyword-ranking.ts): do what it would.
    await stores.db.query('ANALYZE memories');
    return { insertSeconds };
  } finally {
    await stores.close();
  }
}

export async function benchPostgresStorage(settings, model, queries, memories) {
  const stores = await openPostgresStores(settings, model);
  const { search } = stores;
  const cases = queries.map((query) => ({ vector: query.vector, terms: keywordTerms(query.text) }));
  const sample = cases.slice(0, recallQueries(memories));
  try {
    return {
      vector: await timeEach(cases, (q) => search.vectorCandidates(q.vector, ALL, HYBRID_VECTOR_POOL)),
      keyword: await timeEach(cases, (q) => search.keywordCandidates(q.terms, ALL, HYBRID_KEYWORD_POOL)),
      // Both legs at once, as CandidateRanker asks for them (two pool connections).
      hybrid: await timeEach(cases, (q) =>
        Promise.all([
          search.vectorCandidates(q.vector, ALL, HYBRID_VECTOR_POOL),
          search.keywordCandidates(q.terms, ALL, HYBRID_KEYWORD_POOL),
        ]),
      ),
      hybridFiltered: await timeEach(cases, (q) =>
        Promise.all([
          search.vectorCandidates(q.vector, RECENT_TRAVEL, HYBRID_VECTOR_POOL),
          search.keywordCandidates(q.terms, RECENT_TRAVEL, HYBRID_KEYWORD_POOL),
        ]),
      ),
      recallQueries: sample.length,
      recallAt10: await recall(stores, sample, ALL),
      recallAt10Filtered: await recall(stores, sample, RECENT_TRAVEL),
    };
  } finally {
    await stores.close();
  }
}

/** Mean fraction of the exact top-10 (every admitted row's cosine distance, sorted) that the HNSW path finds. */
export async function recall(stores, cases, filter) {
  const where = memoryFilterSql(filter);
  // Ordering by the computed column keeps the planner off the HNSW index: a full, exact scan.
  const exact = `SELECT m.id, e.embedding <=> $1 AS distance FROM memories m
     JOIN memory_embeddings e ON e.memory_id = m.id WHERE ${numbered(where.sql, 2)}
     ORDER BY distance, m.id LIMIT ${RECALL_K}`;
  let found = 0;
  let wanted = 0;
  for (const { vector } of cases) {
    const truth = (await stores.db.query(exact, [vectorLiteral(vector), ...where.params])).map((row) => row.id);
    const got = new Set((await stores.search.vectorCandidates(vector, filter, RECALL_K)).map((hit) => hit.id));
    found += truth.filter((id) => got.has(id)).length;
    wanted += truth.length;
  }
  return Math.round((found / wanted) * 1000) / 1000;
}
