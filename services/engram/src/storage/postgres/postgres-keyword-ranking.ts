import { B, inverseDocumentFrequency, K1 } from '../bm25';
import { MemoryFilter, memoryFilterSql } from '../memory-filter.sql';
import { KeptTermCounts } from '../kept-term-counts';
import { COMMON_TERM_ROWS, KeywordHit, RECENT_MATCHES_RANKED, splitByFrequency } from '../search.store';
import { numbered, PostgresDatabase } from './postgres.database';

/** Below this many live memories the corpus statistics are counted on every search (a few ms at most). */
const EXACT_STATISTICS_MAX_ROWS = 10_000;
/** Above it they are counted again at most this often: a few seconds of drift barely moves an IDF. */
const STATISTICS_MAX_AGE_MS = 60_000;
/** Namespaces whose statistics are kept; past it the oldest are forgotten. */
const NAMESPACES_KEPT = 10_000;

interface CorpusStatistics {
  documents: number;
  averageLength: number;
  countedAt: number;
}

/** How much keyword work one search may do (search.store.ts); smaller in specs. */
export interface KeywordBounds {
  commonTermRows: number;
  recentMatchesRanked: number;
}

interface WeightedTerm {
  term: string;
  lexeme: string;
  rows: number;
}

/** A term's lexeme and count as the database answers: the planner's estimate, or a count stopped past the bound. */
interface CountedTerm extends WeightedTerm {
  estimated: boolean;
}

/**
 * Keyword ranking on PostgreSQL scored by BM25 exactly as SQLite's FTS5 scores it (same k1, b and IDF),
 * over the searcher's namespace alone: over the whole store, another namespace's words would move its
 * scores (and tell one tenant how many of another's memories hold a word). Hybrid fusion, whose weights
 * were fitted on FTS5 scores, so ranks alike on both backends; `ts_rank_cd` has another scale and ignores
 * how rare a term is. The tsvector's positions give term frequencies (the query's lexemes picked out by
 * setweight + ts_filter, far cheaper than unnesting every lexeme of every candidate), `keyword_length` the
 * document length (migration 11). The work is bounded as on SQLite (splitByFrequency). User text reaches
 * the database only as plainto_tsquery arguments. A common word's count is the planner's estimate when
 * the namespace holds every live memory and the planner has one; otherwise it is counted in the namespace
 * once and kept (kept-term-counts.ts).
 */
export class PostgresKeywordRanking {
  private readonly statistics = new Map<string, CorpusStatistics>();
  private readonly keptCounts = new KeptTermCounts();

  constructor(
    private readonly db: PostgresDatabase,
    private readonly bounds: KeywordBounds = {
      commonTermRows: COMMON_TERM_ROWS,
      recentMatchesRanked: RECENT_MATCHES_RANKED,
    },
  ) {}

  async candidates(terms: readonly string[], filter: MemoryFilter, k: number): Promise<KeywordHit[]> {
    const { documents, averageLength } = await this.corpus(filter.namespace);
    const counted = await this.countTerms(terms, filter.namespace, documents);
    const { rare, common } = splitByFrequency(
      counted.map((weighted) => ({ term: weighted, rows: weighted.rows })),
      this.bounds.commonTermRows,
    );
    if (rare.length === 0 && common.length === 0) return [];
    const weights = [...rare, ...common].map((weighted) => ({
      lexeme: weighted.lexeme,
      idf: inverseDocumentFrequency(weighted.rows, documents),
    }));
    const matching = rare.length > 0 ? rare : common;
    return this.rank(
      matching.map((weighted) => weighted.term),
      rare.length === 0,
      weights,
      averageLength,
      filter,
      k,
    );
  }

  /**
   * Each term's lexeme (English stemming, as the keywords column) and how many of the namespace's live
   * memories hold it. A word the planner's statistics (kept by autovacuum's ANALYZE) already show as
   * common is not counted when no other namespace holds a live memory (the statistics are the whole
   * table's): its estimate is used, since counting a common word costs a pass over its every holder. Any
   * other word is counted just past the common-term bound, so a new memory's word is found at once; one
   * held by more is counted in full once and kept. Stop words have no lexeme: left out.
   */
  private async countTerms(terms: readonly string[], namespace: string, documents: number): Promise<WeightedTerm[]> {
    const counted = await this.db.query<CountedTerm>(
      `WITH planner AS (
         SELECT s.most_common_elems::text::text[] AS lexemes, s.most_common_elem_freqs AS shares, c.reltuples AS rows
         FROM pg_stats s JOIN pg_class c ON c.oid = 'memories'::regclass
         WHERE s.schemaname = current_schema() AND s.tablename = 'memories' AND s.attname = 'keywords'
           AND NOT EXISTS (SELECT 1 FROM memories o WHERE o.deleted_at IS NULL AND o.namespace < $3)
           AND NOT EXISTS (SELECT 1 FROM memories o WHERE o.deleted_at IS NULL AND o.namespace > $3))
       SELECT t.term, l.lexeme, e.rows IS NOT NULL AS estimated, coalesce(e.rows,
         (SELECT count(*)::integer FROM (SELECT 1 FROM memories m WHERE m.deleted_at IS NULL AND m.namespace = $3
            AND m.keywords @@ plainto_tsquery('english', t.term) LIMIT $2) held)) AS rows
       FROM unnest($1::text[]) AS t(term)
       CROSS JOIN LATERAL unnest(to_tsvector('english', t.term)) AS l
       LEFT JOIN LATERAL (SELECT round(p.shares[array_position(p.lexemes, l.lexeme)] * p.rows)::integer AS rows
         FROM planner p WHERE p.shares[array_position(p.lexemes, l.lexeme)] * p.rows > $2) e ON true`,
      [terms, this.bounds.commonTermRows + 1, namespace],
    );
    return Promise.all(
      counted.map(async ({ term, lexeme, rows, estimated }) => ({
        term,
        lexeme,
        rows:
          estimated || rows <= this.bounds.commonTermRows
            ? rows
            : await this.keptCounts.rowsAwaited(namespace, term, documents, () =>
                this.countInNamespace(term, namespace),
              ),
      })),
    );
  }

  private async countInNamespace(term: string, namespace: string): Promise<number> {
    const [row] = await this.db.query<{ rows: number }>(
      `SELECT count(*)::integer AS rows FROM memories
       WHERE deleted_at IS NULL AND namespace = $1 AND keywords @@ plainto_tsquery('english', $2)`,
      [namespace, term],
    );
    return row.rows;
  }

  /**
   * The k best by BM25 over every weighted term among live memories the filter admits that hold one of
   * the matching terms (with common terms only, among the newest `recentMatchesRanked` of them).
   */
  private rank(
    matching: readonly string[],
    newestOnly: boolean,
    weights: readonly { lexeme: string; idf: number }[],
    averageLength: number,
    filter: MemoryFilter,
    k: number,
  ): Promise<KeywordHit[]> {
    const where = memoryFilterSql(filter, 'intersect');
    const query = matching.map((_, i) => `plainto_tsquery('english', $${i + 1})`).join(' || ');
    let next = matching.length + 1;
    const filterSql = numbered(where.sql, next);
    next += where.params.length;
    const [lexemes, idfs, average, limit, window] = [next, next + 1, next + 2, next + 3, next + 4];
    const newest = newestOnly ? `ORDER BY m.id DESC LIMIT $${window}` : '';
    return this.db.query<KeywordHit>(
      `SELECT c.id, (
         SELECT coalesce(sum(w.idf * tf * ${K1 + 1} / (tf + ${K1} * (${1 - B} + ${B} * c.keyword_length / $${average}::float8))), 0)
         FROM (SELECT weight.idf, cardinality(held.positions) AS tf
               FROM unnest(ts_filter(setweight(c.keywords, 'A', $${lexemes}::text[]), '{a}')) held
               JOIN unnest($${lexemes}::text[], $${idfs}::float8[]) AS weight(lexeme, idf) ON weight.lexeme = held.lexeme) w
       ) AS bm25
       FROM (SELECT m.id, m.keywords, m.keyword_length FROM memories m
             WHERE m.keywords @@ (${query}) AND ${filterSql} ${newest}) c
       ORDER BY bm25 DESC, c.id LIMIT $${limit}`,
      [
        ...matching,
        ...where.params,
        weights.map((weight) => weight.lexeme),
        weights.map((weight) => weight.idf),
        Math.max(averageLength, 1),
        k,
        ...(newestOnly ? [this.bounds.recentMatchesRanked] : []),
      ],
    );
  }

  /** How many live memories the namespace holds and their average length. */
  private async corpus(namespace: string): Promise<CorpusStatistics> {
    const cached = this.statistics.get(namespace);
    const fresh = cached && Date.now() - cached.countedAt < STATISTICS_MAX_AGE_MS;
    if (cached && fresh && cached.documents > EXACT_STATISTICS_MAX_ROWS) return cached;
    const [row] = await this.db.query<{ documents: number; average_length: number }>(
      `SELECT count(*)::integer AS documents, coalesce(avg(keyword_length), 0)::float8 AS average_length
       FROM memories WHERE deleted_at IS NULL AND namespace = $1`,
      [namespace],
    );
    const counted = { documents: row.documents, averageLength: row.average_length, countedAt: Date.now() };
    this.statistics.delete(namespace);
    if (this.statistics.size >= NAMESPACES_KEPT) this.statistics.delete(this.statistics.keys().next().value!);
    this.statistics.set(namespace, counted);
    return counted;
  }
}
