import { MemoryRepository } from './memory.repository';
import { isNarrowing, MemoryFilter, memoryFilterSql } from './memory-filter.sql';
import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';
import { ADJACENT_ID_REACH, KeywordHit, ScoredId } from './search.store';
import { toBlob, VectorIndex } from './vector-index';

/** Below this many candidate memories an exact scan is as fast as the quantised index, and exact. */
const EXACT_SCAN_MAX_ROWS = 5_000;
/** Quantised candidates fetched per wanted result before exact re-scoring. */
const OVERFETCH = 10;
const MIN_CANDIDATES = 100;
/** Re-scoring reads each candidate's full vector: past this many the reads cost more than they find. */
const MAX_RESCORED = 500;
/**
 * Largest Hamming candidate pool tried before an exact scan of the admitted memories: the in-memory
 * scan costs the same for any pool, but checking a pool against a filter grows with its size.
 */
const MAX_KNN_POOL = 10_000;
/** How far (in ids) a neighbour of a memory is looked for. */

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

  /**
   * Memories containing any of the terms, best BM25 first. Terms are quoted: no FTS5 syntax gets through.
   * CROSS JOIN keeps the full-text match as the outer loop: with a selective filter SQLite otherwise
   * walks the admitted memories and re-runs the MATCH for each (seconds at 100k memories).
   */
  keywordCandidates(terms: readonly string[], filter: MemoryFilter, k: number): KeywordHit[] {
    if (terms.length === 0) return [];
    const match = terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' OR ');
    const where = memoryFilterSql(filter);
    return this.statements
      .get(
        `SELECT m.id AS id, -bm25(memories_fts) AS bm25 FROM memories_fts CROSS JOIN memories m ON m.id = memories_fts.rowid
         WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY bm25(memories_fts) LIMIT ?`,
      )
      .all(match, ...where.params, k) as KeywordHit[];
  }

  /** The k live memories nearest to the vector among those the filter admits, by exact cosine distance. */
  vectorCandidates(vector: Float32Array, filter: MemoryFilter, k: number): ScoredId[] {
    this.vectors.assertModel();
    // A capped count costs at most EXACT_SCAN_MAX_ROWS index steps; a full count grows with the store.
    const admittedUpToLimit = this.countUpTo(filter, EXACT_SCAN_MAX_ROWS + 1);
    if (admittedUpToLimit === 0) return [];
    if (admittedUpToLimit <= EXACT_SCAN_MAX_ROWS) return this.exactScan(vector, filter, k);
    return this.quantisedSearch(vector, filter, k);
  }

  /**
   * For each id, the live memories the filter admits that were stored right before and right after it
   * (the nearest ids within ADJACENT_ID_REACH, so the look-up stays bounded when namespaces interleave).
   */
  adjacent(ids: readonly number[], filter: MemoryFilter): Map<number, number[]> {
    if (ids.length === 0) return new Map();
    const where = memoryFilterSql(filter);
    const rows = this.statements
      .get(
        `SELECT c.value AS id,
           (SELECT m.id FROM memories m WHERE m.id < c.value AND m.id >= c.value - ${ADJACENT_ID_REACH}
              AND ${where.sql} ORDER BY m.id DESC LIMIT 1) AS previous,
           (SELECT m.id FROM memories m WHERE m.id > c.value AND m.id <= c.value + ${ADJACENT_ID_REACH}
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
   * 1-bit Hamming KNN picks candidates, exact cosine re-scores them. Without a narrowing filter one pass
   * suffices. With one, the pool starts in proportion to how rare admitted memories are and grows until
   * enough of them are found, falling back to an exact scan when it would cover the index or exceed
   * MAX_KNN_POOL.
   */
  private quantisedSearch(vector: Float32Array, filter: MemoryFilter, k: number): ScoredId[] {
    const wanted = Math.min(Math.max(MIN_CANDIDATES, k * OVERFETCH), Math.max(MAX_RESCORED, k));
    if (!isNarrowing(filter)) {
      const candidates = this.vectors.nearestByBits(filter.namespace, vector, Math.min(wanted, MAX_KNN_POOL));
      return this.vectors.rescore(candidates, vector).slice(0, k);
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
