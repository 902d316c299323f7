/**
 * Search latency of the storage layer alone, in process: SearchRepository.vectorCandidates and
 * keywordCandidates with pre-computed query vectors, and both together (hybrid without the embedding).
 * Also the recall of the quantised path: how much of the exact top-10 it finds.
 */
import { fromDist } from './dist.mjs';
import { timeEach } from './stats.mjs';

const { openSqliteDatabase } = fromDist('storage/sqlite.connection.js');
const { MemoryRepository } = fromDist('storage/memory.repository.js');
const { SearchRepository } = fromDist('storage/search.repository.js');
const { VectorIndex } = fromDist('storage/vector-index.js');
const { AnnIndex } = fromDist('storage/ann-index.js');
const { ANN_PARAMETERS, ANN_SEARCH_EXPANSION, searchBreadth } = fromDist('storage/ann-index-file.js');
const { DEFAULT_PRAGMAS } = fromDist('config/sqlite-pragmas.js');
const { keywordTerms } = fromDist('search/keyword-terms.js');
const { memoryFilterSql } = fromDist('storage/memory-filter.sql.js');

/**
 * What CandidateRanker's hybrid asks each list for at limit 10 (HYBRID_MIN_CANDIDATES and HYBRID_VECTOR_SHARE
 * in candidate-ranker.ts).
 */
export const HYBRID_KEYWORD_POOL = 100;
export const HYBRID_VECTOR_POOL = 50;
export const RECALL_K = 10;
export const ALL = { namespace: 'default' };
/** The filtered case: tag `travel`, created in the last six months of the year the memories span. */
export const RECENT_TRAVEL = { namespace: 'default', tags: ['travel'], createdFromMs: Date.UTC(2025, 6, 1) };
/**
 * The exact answer is a full cosine scan (~0.75 s at 100k, ~10x that at 1M): a sample of the queries
 * keeps the run short, a smaller one past 100k.
 */
export const recallQueries = (memories) => (memories > SCAN_TIMED_UP_TO ? 30 : 100);
/**
 * Past this size the Hamming scan (the vector path while the index is first built) is not timed: the
 * index answers there, and the scan's runs took most of an hour at a million memories.
 */
export const SCAN_TIMED_UP_TO = 100_000;

export async function benchStorage(path, queries, memories) {
  const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
  const vectors = new VectorIndex(db);
  const search = new SearchRepository(db, vectors, new MemoryRepository(db, vectors));
  const cases = queries.map((query) => ({ vector: query.vector, terms: keywordTerms(query.text) }));
  const keyword = {
    keyword: await timeEach(cases, (q) => search.keywordCandidates(q.terms, ALL, HYBRID_KEYWORD_POOL)),
    keywordCommon: await timeEach(commonTermQueries(db), (terms) =>
      search.keywordCandidates(terms, ALL, HYBRID_KEYWORD_POOL),
    ),
  };
  const result =
    memories > SCAN_TIMED_UP_TO
      ? { ...keyword, scanTimed: false }
      : {
          vector: await timeEach(cases, (q) => search.vectorCandidates(q.vector, ALL, HYBRID_VECTOR_POOL)),
          ...keyword,
          ...(await timeHybrid(search, cases)),
          recallQueries: Math.min(recallQueries(memories), cases.length),
          recallAt10: await recall(db, search, cases.slice(0, recallQueries(memories)), ALL),
          recallAt10Filtered: await recall(db, search, cases.slice(0, recallQueries(memories)), RECENT_TRAVEL),
        };
  db.close();
  if (memories > EXACT_SCAN_MAX_ROWS) result.ann = await benchAnn(path, cases, memories);
  return result;
}

/**
 * Keyword queries made only of the store's most frequent words (two or three of the top 20 by how many
 * memories hold them, stop words left out as search leaves them out): the tail the keyword leg's bounds are for, measured on their own.
 */
function commonTermQueries(db) {
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, 'memories_fts', 'row')");
  const top = db
    .prepare('SELECT term FROM temp.fts_terms ORDER BY doc DESC LIMIT 100')
    .pluck()
    .all()
    .filter((term) => keywordTerms(term).length > 0) // stop words never reach the keyword leg
    .slice(0, 20);
  return Array.from({ length: 100 }, (_, i) =>
    [top[i % 20], top[(i * 7 + 3) % 20], ...(i % 2 === 0 ? [top[(i * 11 + 5) % 20]] : [])].filter(
      (term, j, all) => all.indexOf(term) === j,
    ),
  );
}

/** Above this many admitted memories the vector leg leaves the exact scan (search.repository.ts). */
const EXACT_SCAN_MAX_ROWS = 5_000;

/**
 * The same measurements with the HNSW index (ENGRAM_VECTOR_INDEX=ann): built from scratch in its worker
 * thread (two threads), saved beside the file, then loaded again as a restarted process would. The
 * saved index stays beside the file, so the REST runs that follow load it too.
 */
async function benchAnn(path, cases, memories) {
  const open = () => {
    const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    const vectors = new VectorIndex(db);
    const ann = new AnnIndex(db, { databasePath: path, buildThreads: 2 });
    const search = new SearchRepository(db, vectors, new MemoryRepository(db, vectors), ann);
    return { db, ann, search };
  };
  let store = open();
  let started = performance.now();
  await store.ann.whenReady();
  const buildSeconds = (performance.now() - started) / 1000;
  await store.ann.close();
  store.db.close();
  store = open();
  started = performance.now();
  await store.ann.whenReady();
  const loadSeconds = (performance.now() - started) / 1000;
  const { db, ann, search } = store;
  // Which searches the index answered (the others fell back to the Hamming scan): counted per search.
  let answered = 0;
  let asked = 0;
  const approximate = search.indexedSearch.bind(search);
  search.indexedSearch = async (...args) => {
    const found = await approximate(...args);
    asked++;
    if (found) answered++;
    return found;
  };
  const share = () => {
    const value = asked === 0 ? 0 : Math.round((answered / asked) * 100) / 100;
    answered = asked = 0;
    return value;
  };
  const result = {
    parameters: { ...ANN_PARAMETERS, expansionSearch: ANN_SEARCH_EXPANSION },
    searchBreadth: searchBreadth(memories, HYBRID_VECTOR_POOL),
    buildSeconds: Math.round(buildSeconds * 10) / 10,
    loadSeconds: Math.round(loadSeconds * 100) / 100,
    indexedVectors: ann.size,
    vector: await timeEach(cases, (q) => search.vectorCandidates(q.vector, ALL, HYBRID_VECTOR_POOL)),
    vectorAnsweredByIndex: share(),
    ...(await timeHybrid(search, cases)),
    filteredAnsweredByIndex: share(),
    recallQueries: Math.min(recallQueries(memories), cases.length),
    recallAt10: await recall(db, search, cases.slice(0, recallQueries(memories)), ALL),
    recallAt10Filtered: await recall(db, search, cases.slice(0, recallQueries(memories)), RECENT_TRAVEL),
  };
  await ann.close();
  db.close();
  return result;
}

/** Mean fraction of the exact top-10 (full cosine scan in SQL) that vectorCandidates returns. */
async function recall(db, search, cases, filter) {
  const where = memoryFilterSql(filter);
  const exact = db.prepare(
    `SELECT m.id FROM memories m JOIN memory_embeddings e ON e.memory_id = m.id
     WHERE ${where.sql} ORDER BY vec_distance_cosine(e.embedding, ?) LIMIT ?`,
  );
  let found = 0;
  let wanted = 0;
  for (const { vector } of cases) {
    const truth = exact
      .pluck()
      .all(...where.params, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), RECALL_K);
    const got = new Set((await search.vectorCandidates(vector, filter, RECALL_K)).map((hit) => hit.id));
    found += truth.filter((id) => got.has(id)).length;
    wanted += truth.length;
  }
  return Math.round((found / wanted) * 1000) / 1000;
}

/**
 * Both candidate lists of a limit-10 hybrid search, timed together (unfiltered, then filtered) and
 * gathered as CandidateRanker gathers them: the vector leg started first, so the index searches on its
 * worker thread while the keyword leg runs on this one.
 */
async function timeHybrid(search, cases) {
  const both = (filter) => async (q) => {
    await Promise.all([
      search.vectorCandidates(q.vector, filter, HYBRID_VECTOR_POOL),
      search.keywordCandidates(q.terms, filter, HYBRID_KEYWORD_POOL),
    ]);
  };
  return { hybrid: await timeEach(cases, both(ALL)), hybridFiltered: await timeEach(cases, both(RECENT_TRAVEL)) };
}
