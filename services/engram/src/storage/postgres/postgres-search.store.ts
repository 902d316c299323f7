import { PostgresModelGuard } from './postgres-model.guard';
import { memoryFilterSql, MemoryFilter } from '../memory-filter.sql';
import { admittedBounds, talliesForBounds } from '../memory-tallies';
import { talliesOf } from './postgres-memory-tallies';
import { ADJACENT_ID_REACH, KeywordHit, ScoredId, SearchStore } from '../search.store';
import { KeywordBounds, PostgresKeywordRanking } from './postgres-keyword-ranking';
import { numbered, PostgresDatabase, vectorLiteral } from './postgres.database';

/** Below this many admitted memories an exact scan is cheap and exact; above it the HNSW index answers. */
const EXACT_SCAN_MAX_ROWS = 5_000;

export interface PostgresSearchOptions {
  /** pgvector 0.8+, whose HNSW scans continue past filtered-out rows. */
  iterativeScans: boolean;
  exactScanMaxRows?: number;
  keywordBounds?: KeywordBounds;
}
/** HNSW candidates kept per search: at least the wanted count, and the pgvector default floor. */
const MIN_EF_SEARCH = 40;
const MAX_EF_SEARCH = 1_000;

/**
 * SearchStore on PostgreSQL: tsvector + GIN for keywords, ranked by BM25 (postgres-keyword-ranking.ts),
 * pgvector for vectors. A selective filter is scanned exactly; otherwise the
 * HNSW index is walked with iterative scans, which keep going until enough admitted rows are found.
 */
export class PostgresSearchStore extends SearchStore {
  private readonly iterativeScans: boolean;
  private readonly exactScanMaxRows: number;
  private readonly keywords: PostgresKeywordRanking;

  constructor(
    private readonly db: PostgresDatabase,
    options: PostgresSearchOptions,
    private readonly model = new PostgresModelGuard(undefined),
  ) {
    super();
    this.iterativeScans = options.iterativeScans;
    this.exactScanMaxRows = options.exactScanMaxRows ?? EXACT_SCAN_MAX_ROWS;
    this.keywords = new PostgresKeywordRanking(db, options.keywordBounds);
  }

  async keywordCandidates(terms: readonly string[], filter: MemoryFilter, k: number): Promise<KeywordHit[]> {
    if (terms.length === 0) return [];
    return this.keywords.candidates(terms, filter, k);
  }

  async embeddingsOf(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.query<{ memory_id: number; embedding: string }>(
      'SELECT memory_id, embedding::text AS embedding FROM memory_embeddings WHERE memory_id = ANY($1::bigint[])',
      [ids],
    );
    return new Map(rows.map((row) => [row.memory_id, Float32Array.from(JSON.parse(row.embedding) as number[])]));
  }

  /** A query on a pooled connection: the caller's thread only waits for it. */
  vectorSearchRunsAside(): boolean {
    return true;
  }

  async vectorCandidates(vector: Float32Array, filter: MemoryFilter, k: number): Promise<ScoredId[]> {
    await this.model.check(this.db);
    const where = memoryFilterSql(filter);
    const admitted = await this.admittedUpTo(filter, this.exactScanMaxRows + 1);
    if (admitted === 0) return [];
    const select = `SELECT m.id, e.embedding <=> $1 AS distance FROM memories m
       JOIN memory_embeddings e ON e.memory_id = m.id WHERE ${numbered(where.sql, 2)}`;
    const limit = `$${where.params.length + 2}`;
    const params = [vectorLiteral(vector), ...where.params, k];
    // Ordering by the computed column, not the operator, keeps the planner off the HNSW index: exact.
    const exact = () => this.db.query<ScoredId>(`${select} ORDER BY distance, m.id LIMIT ${limit}`, params);
    if (admitted <= this.exactScanMaxRows) return exact();
    const efSearch = Math.min(Math.max(MIN_EF_SEARCH, k), MAX_EF_SEARCH);
    const hits = await this.db.transaction(async (client) => {
      await client.query(`SET LOCAL hnsw.ef_search = ${efSearch}`);
      if (this.iterativeScans) await client.query("SET LOCAL hnsw.iterative_scan = 'relaxed_order'");
      return client.query<ScoredId>(`${select} ORDER BY e.embedding <=> $1 LIMIT ${limit}`, params);
    });
    // The index gave up before finding k admitted rows (a selective filter without iterative scans).
    if (hits.length < k) return exact();
    // Relaxed order may return neighbours slightly out of order.
    return hits.sort((a, b) => a.distance - b.distance || a.id - b.id);
  }

  async distances(ids: readonly number[], vector: Float32Array): Promise<ScoredId[]> {
    if (ids.length === 0) return [];
    return this.db.query<ScoredId>(
      'SELECT memory_id AS id, embedding <=> $1 AS distance FROM memory_embeddings WHERE memory_id = ANY($2::bigint[])',
      [vectorLiteral(vector), ids],
    );
  }

  async adjacent(ids: readonly number[], filter: MemoryFilter): Promise<Map<number, number[]>> {
    if (ids.length === 0) return new Map();
    const where = numbered(memoryFilterSql(filter).sql, 2);
    const rows = await this.db.query<{ id: number; previous: number | null; next: number | null }>(
      `SELECT c.id,
         (SELECT m.id FROM memories m WHERE m.id < c.id AND m.id >= c.id - ${ADJACENT_ID_REACH}
            AND ${where} ORDER BY m.id DESC LIMIT 1) AS previous,
         (SELECT m.id FROM memories m WHERE m.id > c.id AND m.id <= c.id + ${ADJACENT_ID_REACH}
            AND ${where} ORDER BY m.id LIMIT 1) AS next
       FROM unnest($1::bigint[]) AS c(id)`,
      [ids, ...memoryFilterSql(filter).params],
    );
    return new Map(rows.map((row) => [row.id, [row.previous, row.next].filter((id): id is number => id !== null)]));
  }

  /**
   * How many memories the filter admits, up to `cap`, enough to choose between an exact scan and the index.
   * The namespace's tallies settle it for a whole namespace, and most often for a type or tags alone (at
   * most `cap - 1` by the tallies: the exact scan; at least `cap`: the index). Otherwise the admitted rows
   * are counted, up to `cap`: counting every memory with a common tag cost 50-108 ms at 100,000 memories.
   */
  private async admittedUpTo(filter: MemoryFilter, cap: number): Promise<number> {
    const tally = await talliesOf(this.db, filter.namespace, talliesForBounds(filter));
    const { atLeast, atMost } = admittedBounds(filter, tally);
    if (atMost < cap) return atMost;
    if (atLeast >= cap) return cap;
    return this.countUpTo(filter, cap);
  }

  private async countUpTo(filter: MemoryFilter, cap: number): Promise<number> {
    const where = memoryFilterSql(filter);
    const [row] = await this.db.query<{ count: number }>(
      `SELECT count(*) AS count FROM (SELECT 1 FROM memories m WHERE ${numbered(where.sql)} LIMIT $${where.params.length + 1}) admitted`,
      [...where.params, cap],
    );
    return row.count;
  }
}
