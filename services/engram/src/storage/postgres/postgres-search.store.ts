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
 * The `admitted` ids' distances to $1, nearest first, while `condition` holds: ordering by the computed
 * column, not the operator, keeps the planner off the HNSW index, so the scan is exact. Each vector is looked
 * up by its id (OFFSET 0 keeps the look-up apart): joined, the planner hashed every vector row of the store
 * (29,000 of them for 918 admitted, 17-30 ms).
 */
const rankedAdmitted = (condition: string, limit: string) => `SELECT a.id, v.distance FROM admitted a
  CROSS JOIN LATERAL (SELECT e.embedding <=> $1 AS distance FROM memory_embeddings e
    WHERE e.memory_id = a.id OFFSET 0) v
  WHERE ${condition} ORDER BY v.distance, a.id LIMIT ${limit}`;

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
    const tally = await talliesOf(this.db, filter.namespace, talliesForBounds(filter));
    const { atLeast, atMost } = admittedBounds(filter, tally);
    if (atMost === 0) return [];
    if (atMost <= this.exactScanMaxRows) return this.exactScan(vector, filter, k);
    if (atLeast <= this.exactScanMaxRows) {
      const within = await this.exactScanIfWithin(vector, filter, k);
      if (within) return within;
    }
    return this.indexSearch(vector, filter, k);
  }

  /**
   * Every admitted memory's distance, nearest first: exact. The admitted ids are gathered first, so only
   * they pay a distance (each reads a ~2 kB vector at 512 dimensions, from TOAST in a store made before
   * STORAGE MAIN: postgres-vector-table.ts), however the planner would otherwise order the joins (it put
   * the distance before a type check, reading 2.3x the vectors).
   */
  private exactScan(vector: Float32Array, filter: MemoryFilter, k: number): Promise<ScoredId[]> {
    const where = memoryFilterSql(filter, 'intersect');
    return this.db.query<ScoredId>(
      `WITH admitted AS MATERIALIZED (SELECT m.id FROM memories m WHERE ${numbered(where.sql, 2)})
       ${rankedAdmitted('true', `$${where.params.length + 2}`)}`,
      [vectorLiteral(vector), ...where.params, k],
    );
  }

  /**
   * The exact scan when the filter admits at most exactScanMaxRows memories, in one statement that stops
   * gathering them one past the limit; undefined when it admits more. The tallies left the count open (all
   * of several tags, a type with a tag, a time window): counting first and scanning after walked the
   * admitted memories twice, each time through the tag look-ups.
   */
  private async exactScanIfWithin(
    vector: Float32Array,
    filter: MemoryFilter,
    k: number,
  ): Promise<ScoredId[] | undefined> {
    const where = memoryFilterSql(filter, 'intersect');
    const [cap, limit] = [where.params.length + 2, where.params.length + 3];
    const rows = await this.db.query<{ admitted: number; id: number | null; distance: number | null }>(
      `WITH admitted AS MATERIALIZED (SELECT m.id FROM memories m WHERE ${numbered(where.sql, 2)} LIMIT $${cap} + 1),
         tally AS (SELECT count(*)::integer AS admitted FROM admitted)
       SELECT tally.admitted, hit.id, hit.distance FROM tally LEFT JOIN LATERAL (
         ${rankedAdmitted(`tally.admitted <= $${cap}`, `$${limit}`)}) hit ON true
       ORDER BY hit.distance, hit.id`,
      [vectorLiteral(vector), ...where.params, this.exactScanMaxRows, k],
    );
    if (rows[0].admitted > this.exactScanMaxRows) return undefined;
    return rows.filter((row) => row.id !== null).map((row) => ({ id: row.id!, distance: row.distance! }));
  }

  /** The HNSW index, walked with iterative scans where pgvector has them; exact when it gives up short. */
  private async indexSearch(vector: Float32Array, filter: MemoryFilter, k: number): Promise<ScoredId[]> {
    const where = memoryFilterSql(filter, 'intersect');
    const efSearch = Math.min(Math.max(MIN_EF_SEARCH, k), MAX_EF_SEARCH);
    const hits = await this.db.transaction(async (client) => {
      await client.query(`SET LOCAL hnsw.ef_search = ${efSearch}`);
      if (this.iterativeScans) await client.query("SET LOCAL hnsw.iterative_scan = 'relaxed_order'");
      return client.query<ScoredId>(
        `SELECT m.id, e.embedding <=> $1 AS distance FROM memories m
         JOIN memory_embeddings e ON e.memory_id = m.id WHERE ${numbered(where.sql, 2)}
         ORDER BY e.embedding <=> $1 LIMIT $${where.params.length + 2}`,
        [vectorLiteral(vector), ...where.params, k],
      );
    });
    // The index gave up before finding k admitted rows (a selective filter without iterative scans).
    if (hits.length < k) return this.exactScan(vector, filter, k);
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
}
