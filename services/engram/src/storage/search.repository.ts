import { MemoryRepository } from './memory.repository';
import { isNarrowing, MemoryFilter, memoryFilterSql } from './memory-filter.sql';
import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';
import { ScoredId, toBlob, VectorIndex } from './vector-index';

export interface KeywordHit {
  id: number;
  /** FTS5 BM25 relevance, larger is better (FTS5's own value negated). */
  bm25: number;
}

/** Below this many candidate memories an exact scan is as fast as the quantised index, and exact. */
const EXACT_SCAN_MAX_ROWS = 5_000;
/** Quantised candidates fetched per wanted result before exact re-scoring. */
const OVERFETCH = 10;
const MIN_CANDIDATES = 100;
/** sqlite-vec refuses a KNN k above this. */
const MAX_KNN_K = 4096;

/** Candidate generation for search: vector nearest neighbours and BM25 keyword matches, both filtered. */
export class SearchRepository {
  private readonly statements: PreparedStatements;

  constructor(
    db: SqliteDatabase,
    private readonly vectors: VectorIndex,
    private readonly memories: MemoryRepository,
  ) {
    this.statements = new PreparedStatements(db);
  }

  /** Memories containing any of the terms, best BM25 first. Terms are quoted: no FTS5 syntax gets through. */
  keywordCandidates(terms: readonly string[], filter: MemoryFilter, k: number): KeywordHit[] {
    if (terms.length === 0) return [];
    const match = terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' OR ');
    const where = memoryFilterSql(filter);
    return this.statements
      .get(
        `SELECT m.id AS id, -bm25(memories_fts) AS bm25 FROM memories_fts JOIN memories m ON m.id = memories_fts.rowid
         WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY bm25(memories_fts) LIMIT ?`,
      )
      .all(match, ...where.params, k) as KeywordHit[];
  }

  /** The k live memories nearest to the vector among those the filter admits, by exact cosine distance. */
  vectorCandidates(vector: Float32Array, filter: MemoryFilter, k: number): ScoredId[] {
    const indexed = this.vectors.count(filter.namespace);
    const admitted = isNarrowing(filter) ? this.memories.count(filter) : indexed;
    if (admitted === 0) return [];
    if (admitted <= EXACT_SCAN_MAX_ROWS) return this.exactScan(vector, filter, k);
    return this.quantisedSearch(vector, filter, k, indexed, admitted);
  }

  /** Exact cosine distances of the given memories to the vector. */
  distances(ids: readonly number[], vector: Float32Array): ScoredId[] {
    return this.vectors.rescore(ids, vector);
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
   * 1-bit Hamming KNN picks candidates, exact cosine re-scores them. With a filter, the candidate pool
   * grows until enough admitted memories are found, falling back to an exact scan when it would cover the
   * index or exceed sqlite-vec's k limit.
   */
  private quantisedSearch(
    vector: Float32Array,
    filter: MemoryFilter,
    k: number,
    indexed: number,
    admitted: number,
  ): ScoredId[] {
    const narrowing = isNarrowing(filter);
    let pool = Math.max(MIN_CANDIDATES, k * OVERFETCH * Math.ceil(indexed / admitted));
    while (pool < indexed && pool <= MAX_KNN_K) {
      let candidates = this.vectors.nearestByBits(filter.namespace, vector, pool);
      if (narrowing) {
        const allowed = this.memories.filterIds(filter, candidates);
        candidates = candidates.filter((id) => allowed.has(id));
      }
      if (candidates.length >= Math.min(k * OVERFETCH, admitted) || !narrowing) {
        return this.vectors.rescore(candidates, vector).slice(0, k);
      }
      pool *= 4;
    }
    return this.exactScan(vector, filter, k);
  }
}
