import { AdmittedShares } from './admitted-shares';
import { AnnIndex } from './ann-index';
import { MemoryRepository } from './memory.repository';
import { isNarrowing, MemoryFilter, memoryFilterSql, PROBED_MEMORIES } from './memory-filter.sql';
import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';
import { ADJACENT_ID_REACH, KeywordHit, ScoredId } from './search.store';
import { SqliteKeywordRanking } from './sqlite-keyword-ranking';
import { toBlob, VectorIndex } from './vector-index';

/** Below this many candidate memories an exact scan is as fast as the quantised index, and exact. */
const EXACT_SCAN_MAX_ROWS = 5_000;
/** Quantised candidates fetched per wanted result before exact re-scoring. */
const OVERFETCH = 10;
const MIN_CANDIDATES = 100;
/**
 * HNSW candidates per wanted result: its candidates are nearly the true nearest already (unlike the 1-bit
 * pass), so re-scoring twice k, and never fewer than MIN_CANDIDATES, keeps recall while each re-scored
 * candidate (a blob read and a 512-dimension distance) is the largest cost of the search.
 */
const ANN_OVERFETCH = 2;
/**
 * Admitted candidates a filtered HNSW search gathers at least. Past its first pool the search widens by
 * 1 ÷ the filter's admitted share for each one wanted, and the index's near-exact order leaves the re-score
 * few to reorder: with 50 admitted, filtered recall@10 on the bench's stores is 1.0 at 100k and 0.98 at a
 * million, as it was with 100.
 */
const MIN_ADMITTED = 50;
/** Re-scoring reads each candidate's full vector: past this many the reads cost more than they find. */
const MAX_RESCORED = 500;
/**
 * Largest Hamming candidate pool tried before an exact scan of the admitted memories: the in-memory
 * scan costs the same for any pool, but checking a pool against a filter grows with its size.
 */
const MAX_KNN_POOL = 10_000;
/** Longest a search waits for an index that is loading or saving (see indexReadySoon). */
const INDEX_WAIT_MS = 5_000;
/** The next HNSW pool holds this many times the candidates the admitted share predicts are needed. */
const POOL_MARGIN = 1.5;

/** Candidate generation for search: vector nearest neighbours and BM25 keyword matches, both filtered. */
export class SearchRepository {
  private readonly statements: PreparedStatements;
  private readonly keywords: SqliteKeywordRanking;
  private readonly admittedShares = new AdmittedShares();

  constructor(
    db: SqliteDatabase,
    private readonly vectors: VectorIndex,
    private readonly memories: MemoryRepository,
    /** The HNSW index (ENGRAM_VECTOR_INDEX=ann on a file database); absent: the Hamming path only. */
    private readonly ann?: AnnIndex,
  ) {
    this.statements = new PreparedStatements(db);
    this.keywords = new SqliteKeywordRanking(db);
  }

  /** Memories containing any of the terms, best BM25 first, with bounded work (sqlite-keyword-ranking.ts). */
  keywordCandidates(terms: readonly string[], filter: MemoryFilter, k: number): KeywordHit[] {
    return this.keywords.candidates(terms, filter, k);
  }

  /** The k live memories nearest to the vector among those the filter admits, by exact cosine distance. */
  async vectorCandidates(vector: Float32Array, filter: MemoryFilter, k: number): Promise<ScoredId[]> {
    this.vectors.assertModel();
    const indexReady = this.ann?.ready ?? false;
    if (indexReady) {
      const found = await this.indexedSearch(vector, filter, k);
      if (found) return found;
    }
    // A capped count costs at most EXACT_SCAN_MAX_ROWS index steps; a full count grows with the store.
    const admittedUpToLimit = this.countUpTo(filter, EXACT_SCAN_MAX_ROWS + 1);
    if (admittedUpToLimit === 0) return [];
    if (admittedUpToLimit <= EXACT_SCAN_MAX_ROWS) return this.exactScan(vector, filter, k);
    if (!indexReady && (await this.indexReadySoon())) {
      const found = await this.indexedSearch(vector, filter, k);
      if (found) return found;
    }
    this.ann?.start(); // a store this large: load or build the index for the searches to come
    return this.quantisedSearch(vector, filter, k);
  }

  /**
   * Whether vector searches go to the index's thread: once it is ready and holds more than an exact scan
   * reads (a narrow filter may still scan here, on this thread).
   */
  vectorSearchRunsAside(): boolean {
    return (this.ann?.ready ?? false) && this.ann!.size > EXACT_SCAN_MAX_ROWS;
  }

  /**
   * Whether to wait for the index rather than take the Hamming path: only while the index is loading a
   * saved file or saving (seconds at a million vectors) and the Hamming mirror is not in memory yet (its
   * first load reads every 1-bit vector on this thread, ~12 s at a million, and then stays resident).
   */
  private async indexReadySoon(): Promise<boolean> {
    if (!this.ann || this.vectors.mirrorLoaded) return false;
    return this.ann.readyWithin(INDEX_WAIT_MS);
  }

  /**
   * For each id, the live memories the filter admits that were stored right before and right after it
   * (the nearest ids within ADJACENT_ID_REACH, so the look-up stays bounded when namespaces interleave).
   */
  adjacent(ids: readonly number[], filter: MemoryFilter): Map<number, number[]> {
    if (ids.length === 0) return new Map();
    const where = memoryFilterSql(filter, 'probe');
    const rows = this.statements
      .get(
        // The id range of the filter-probe index is the narrow path; the planner would otherwise walk the
        // namespace's whole created_at index for every id.
        `SELECT c.value AS id,
           (SELECT m.id FROM ${PROBED_MEMORIES} WHERE m.id < c.value AND m.id >= c.value - ${ADJACENT_ID_REACH}
              AND ${where.sql} ORDER BY m.id DESC LIMIT 1) AS previous,
           (SELECT m.id FROM ${PROBED_MEMORIES} WHERE m.id > c.value AND m.id <= c.value + ${ADJACENT_ID_REACH}
              AND ${where.sql} ORDER BY m.id LIMIT 1) AS next
         FROM json_each(?) c`,
      )
      .all(...where.params, ...where.params, JSON.stringify(ids)) as {
      id: number;
      previous: number | null;
      next: number | null;
    }[];
    return new Map(rows.map((row) => [row.id, [row.previous, row.next].filter((id): id is number => id !== null)]));
  }

  /** The stored (unit-length) embeddings of the given memories. */
  embeddings(ids: readonly number[]): Map<number, Float32Array> {
    if (ids.length === 0) return new Map();
    const rows = this.statements
      .get(
        'SELECT memory_id AS id, embedding FROM memory_embeddings WHERE memory_id IN (SELECT value FROM json_each(?))',
      )
      .all(JSON.stringify(ids)) as { id: number; embedding: Buffer }[];
    return new Map(
      rows.map(({ id, embedding }) => [
        id,
        new Float32Array(embedding.buffer.slice(embedding.byteOffset, embedding.byteOffset + embedding.byteLength)),
      ]),
    );
  }

  /** Exact cosine distances of the given memories to the vector. */
  distances(ids: readonly number[], vector: Float32Array): ScoredId[] {
    return this.vectors.rescore(ids, vector);
  }

  private countUpTo(filter: MemoryFilter, cap: number): number {
    const where = memoryFilterSql(filter);
    return this.statements
      .get(`SELECT count(*) FROM (SELECT 1 FROM memories m WHERE ${where.sql} LIMIT ?)`)
      .pluck()
      .get(...where.params, cap) as number;
  }

  private exactScan(vector: Float32Array, filter: MemoryFilter, k: number): ScoredId[] {
    const where = memoryFilterSql(filter);
    return this.statements
      .get(
        `SELECT m.id AS id, vec_distance_cosine(e.embedding, ?) AS distance
         FROM memories m JOIN memory_embeddings e ON e.memory_id = m.id
         WHERE ${where.sql} ORDER BY distance LIMIT ?`,
      )
      .all(toBlob(vector), ...where.params, k) as ScoredId[];
  }

  /**
   * The HNSW index's nearest (every namespace together), checked against the namespace and filter and
   * re-scored exactly on the index's thread, plus the memories changed since it caught up, checked and
   * scored here. No count first: the share of the first pool the filter admits sizes the next pool, so a
   * filter admitting a tenth of the store takes two index searches, or one when the same filter was
   * searched recently (AdmittedShares). Undefined (the scan paths answer) while the index is not ready, or
   * when that share says the filter admits few enough memories for an exact scan, or too few for the index
   * to find.
   */
  private async indexedSearch(vector: Float32Array, filter: MemoryFilter, k: number): Promise<ScoredId[] | undefined> {
    const ann = this.ann!;
    const wanted = Math.max(MIN_CANDIDATES, k * ANN_OVERFETCH);
    const narrowing = isNarrowing(filter);
    // Past the first pool a narrowing filter's search widens, and its cost grows with the pool: k admitted
    // candidates (never fewer than MIN_ADMITTED) are enough there, the re-score orders them exactly.
    const enough = narrowing ? Math.max(MIN_ADMITTED, k) : wanted;
    const knownShare = narrowing ? this.admittedShares.get(filter) : undefined;
    let pool = knownShare ? Math.min(MAX_KNN_POOL, Math.max(wanted, poolFor(enough, knownShare))) : wanted;
    for (;;) {
      const found = await ann.candidates(vector, pool, filter, enough);
      if (!found) return undefined;
      const admittedShare = Math.max(found.admitted.length, 1) / Math.max(found.checked, 1);
      if (narrowing) this.admittedShares.set(filter, admittedShare);
      if (found.admitted.length >= enough) return this.withChanged(found.admitted, found.changed, filter, vector, k);
      if (found.found < pool) return undefined; // the whole index was searched
      if (admittedShare * ann.size <= EXACT_SCAN_MAX_ROWS) return undefined;
      pool = poolFor(enough, admittedShare);
      if (pool > MAX_KNN_POOL) return undefined;
    }
  }

  /**
   * The index's admitted candidates with the memories changed since it caught up: those are checked and
   * scored here, from this thread's view, in place of whatever the index's thread saw of them.
   */
  private withChanged(
    admitted: ScoredId[],
    changed: readonly number[],
    filter: MemoryFilter,
    vector: Float32Array,
    k: number,
  ): ScoredId[] {
    if (changed.length === 0) return admitted.slice(0, k);
    const changedIds = new Set(changed);
    const allowed = this.memories.filterIds(filter, changed);
    return [
      ...admitted.filter(({ id }) => !changedIds.has(id)),
      ...this.vectors.rescore(
        changed.filter((id) => allowed.has(id)),
        vector,
      ),
    ]
      .sort((a, b) => a.distance - b.distance)
      .slice(0, k);
  }

  /**
   * 1-bit Hamming KNN picks candidates, exact cosine re-scores them. Without a narrowing filter one pass
   * suffices. With one, the pool starts in proportion to how rare admitted memories are and grows until
   * enough of them are found, falling back to an exact scan when it would cover the index or exceed
   * MAX_KNN_POOL.
   */
  private quantisedSearch(vector: Float32Array, filter: MemoryFilter, k: number): ScoredId[] {
    const wanted = Math.min(Math.max(MIN_CANDIDATES, k * OVERFETCH), Math.max(MAX_RESCORED, k));
    if (!isNarrowing(filter)) {
      const nearest = this.vectors.nearestByBits(filter.namespace, vector, Math.min(wanted, MAX_KNN_POOL));
      // The index holds superseded memories too (include_superseded finds them); the filter decides.
      const allowed = this.memories.filterIds(filter, nearest);
      return this.vectors
        .rescore(
          nearest.filter((id) => allowed.has(id)),
          vector,
        )
        .slice(0, k);
    }
    const indexed = this.memories.count({ namespace: filter.namespace });
    const admitted = this.memories.count(filter);
    let pool = wanted * Math.ceil(indexed / admitted);
    while (pool < indexed && pool <= MAX_KNN_POOL) {
      const nearest = this.vectors.nearestByBits(filter.namespace, vector, pool);
      const allowed = this.memories.filterIds(filter, nearest);
      const candidates = nearest.filter((id) => allowed.has(id));
      if (candidates.length >= Math.min(wanted, admitted)) return this.vectors.rescore(candidates, vector).slice(0, k);
      pool *= 4;
    }
    return this.exactScan(vector, filter, k);
  }
}

/** The next HNSW pool: enough admitted candidates at this share, with POOL_MARGIN for the estimate. */
function poolFor(enough: number, admittedShare: number): number {
  return Math.ceil((enough / admittedShare) * POOL_MARGIN);
}
