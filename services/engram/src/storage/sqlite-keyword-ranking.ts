import { bm25, inverseDocumentFrequency } from './bm25';
import { fts5Token } from './fts5-porter';
import { anyOf, quoted } from './fts5-query';
import { Fts5TermCounter } from './fts5-term-counter';
import { KeptTermCounts } from './kept-term-counts';
import { MemoryFilter, memoryFilterSql, PROBED_MEMORIES } from './memory-filter.sql';
import { IdRange, MemoryIdBlocks } from './memory-id-blocks';
import { PreparedStatements } from './prepared-statements';
import { COMMON_TERM_ROWS, KeywordHit, RECENT_MATCHES_RANKED, splitByFrequency } from './search.store';
import { SqliteDatabase } from './sqlite.connection';
import { fullTextWalkWhere, newestHolders } from './sqlite-newest-holders';

/**
 * Past this many term holders in all (summed over the query's terms) bm25()'s IDF walk costs more than
 * scoring the candidates here: measured at a million memories, bm25() took ~6 ms + 0.05 µs a holder,
 * scoring here ~10 ms whatever the terms.
 */
const IDF_WALK_MAX_ROWS = 100_000;

interface Corpus {
  documents: number;
  averageLength: number;
}

/** How to build the ranking; specs set it to hold both ways of scoring to the same answers. */
export interface KeywordRankingOptions {
  /** Past how many term holders the score is computed here (IDF_WALK_MAX_ROWS; 0: always here). */
  idfWalkMaxRows?: number;
}

/**
 * Keyword ranking on SQLite: FTS5 finds the candidates and scores them by BM25 over the searcher's
 * namespace, in one of two exact ways. When the namespace holds every memory (a personal store), FTS5's
 * own statistics are the namespace's, and FTS5's bm25() scores. It counts every memory holding each query
 * term, on every query, for its IDF: a walk of each term's whole doclist, cheap while the terms are held
 * by a few tens of thousands of memories, but ~45 ms p50 for two or three common words at a million
 * (against ~1 ms to read their 1,000 newest matches). Past IDF_WALK_MAX_ROWS the score is computed here
 * instead, from counts FTS5 already has or that are kept: a rare term's from splitByFrequency's bounded
 * count, a common term's counted once and kept for minutes (kept-term-counts.ts), the corpus size and
 * average length from FTS5's own totals, and term frequencies from the candidates' text
 * (fts5-term-counter.ts, ~3 µs a candidate). Both give the same scores while the kept counts are current
 * (a spec holds them equal, before and after growth). When other namespaces hold memories too, FTS5's
 * statistics would let their words move this namespace's scores (and tell one tenant how many of
 * another's memories hold a word), so the score is always computed here, from the namespace's own corpus
 * (migration 026) and its own term counts.
 */
export class SqliteKeywordRanking {
  private readonly statements: PreparedStatements;
  private readonly idBlocks: MemoryIdBlocks;
  private readonly idfWalkMaxRows: number;
  private readonly keptCounts = new KeptTermCounts();

  private vocabulary: 'unknown' | 'ready' | 'unavailable' = 'unknown';

  constructor(
    private readonly db: SqliteDatabase,
    options: KeywordRankingOptions = {},
  ) {
    this.statements = new PreparedStatements(db);
    this.idBlocks = new MemoryIdBlocks(db);
    this.idfWalkMaxRows = options.idfWalkMaxRows ?? IDF_WALK_MAX_ROWS;
  }

  /**
   * Memories containing any of the terms, best BM25 first, with bounded work (splitByFrequency):
   * with rare terms, only memories holding one are ranked, by the whole query (common terms weigh in);
   * with common terms only, the RECENT_MATCHES_RANKED newest matches the filter admits are ranked.
   * Walks by recency only visit the id ranges that can hold the filter's memories (memory-id-blocks.ts).
   * Terms are quoted: no FTS5 syntax gets through.
   */
  candidates(terms: readonly string[], filter: MemoryFilter, k: number): KeywordHit[] {
    if (terms.length === 0) return [];
    const ranges = this.idBlocks.ranges(filter);
    if (ranges.length === 0) return [];
    const store = this.storeCorpus();
    const namespace = this.namespaceCorpus(filter.namespace);
    return namespace.documents === store.documents
      ? this.rankInStore(terms, filter, ranges, store, k)
      : this.rankInNamespace(terms, filter, ranges, namespace, k);
  }

  /** The namespace holds every memory: FTS5's statistics are its own. */
  private rankInStore(
    terms: readonly string[],
    filter: MemoryFilter,
    ranges: readonly IdRange[],
    corpus: Corpus,
    k: number,
  ): KeywordHit[] {
    const counted = terms.map((term) => ({ term, rows: this.countUpTo(term, COMMON_TERM_ROWS + 1) }));
    const { rare, common } = splitByFrequency(counted);
    if (rare.length === 0 && common.length === 0) return [];
    const held = counted
      .filter(({ rows }) => rows > 0)
      .map(({ term, rows }) =>
        rows > COMMON_TERM_ROWS ? { term, rows: this.commonCount(term, filter.namespace, corpus) } : { term, rows },
      );
    if (held.reduce((sum, { rows }) => sum + rows, 0) <= this.idfWalkMaxRows) {
      return rare.length > 0
        ? this.rankWithRareTerms(rare, common, filter, k)
        : this.rankNewest(common, filter, ranges, k);
    }
    return this.scoreHere(held, rare.length > 0 ? rare : common, filter, ranges, corpus, k);
  }

  /**
   * Other namespaces hold memories too: every count is the namespace's own. A term held by at most
   * COMMON_TERM_ROWS memories in the whole store is counted among them; a commoner one is counted once
   * in the namespace and kept.
   */
  private rankInNamespace(
    terms: readonly string[],
    filter: MemoryFilter,
    ranges: readonly IdRange[],
    corpus: Corpus,
    k: number,
  ): KeywordHit[] {
    const held = terms
      .map((term) => ({ term, rows: this.namespaceRows(term, filter.namespace, corpus) }))
      .filter(({ rows }) => rows > 0);
    const { rare, common } = splitByFrequency(held);
    if (rare.length === 0 && common.length === 0) return [];
    return this.scoreHere(held, rare.length > 0 ? rare : common, filter, ranges, corpus, k);
  }

  /**
   * BM25 computed here over the newest holders of the walked terms (the rare ones, whose holders all fit
   * in the walk, or else the common ones), each scored by every held term.
   */
  private scoreHere(
    held: readonly { term: string; rows: number }[],
    walked: readonly string[],
    filter: MemoryFilter,
    ranges: readonly IdRange[],
    corpus: Corpus,
    k: number,
  ): KeywordHit[] {
    const counter = new Fts5TermCounter(held.map(({ term }) => term));
    const holders = newestHolders(this.statements, walked, filter, ranges, counter);
    const idfs = held.map(({ rows }) => inverseDocumentFrequency(rows, corpus.documents));
    return holders
      .map(({ id, counts }) => ({ id, bm25: bm25(counts.frequencies, idfs, counts.length, corpus.averageLength) }))
      .sort((a, b) => b.bm25 - a.bm25 || b.id - a.id)
      .slice(0, k);
  }

  /** How many memories (in every namespace) hold the term, counted up to the cap so the work is bounded. */
  private countUpTo(term: string, cap: number): number {
    return this.statements
      .get('SELECT count(*) FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)')
      .pluck()
      .get(quoted(term), cap) as number;
  }

  /** How many of the namespace's live memories hold the term (superseded ones too, as FTS5 counts). */
  private namespaceRows(term: string, namespace: string, corpus: Corpus): number {
    const inStore = this.countUpTo(term, COMMON_TERM_ROWS + 1);
    if (inStore === 0) return 0;
    const count = () =>
      this.statements
        .get(
          `SELECT count(*) FROM memories_fts CROSS JOIN ${PROBED_MEMORIES} ON m.id = memories_fts.rowid
           WHERE memories_fts MATCH ? AND m.namespace = ? AND m.deleted_at IS NULL`,
        )
        .pluck()
        .get(quoted(term), namespace) as number;
    return inStore <= COMMON_TERM_ROWS ? count() : this.keptCounts.rows(namespace, term, corpus.documents, count);
  }

  /**
   * A common term's exact count in the whole store: a walk of its every holder, so kept
   * (kept-term-counts.ts). Read from FTS5's vocabulary (the term's index token, fts5-porter.ts), which
   * walks the doclist 2–3× faster than counting MATCH rows (a word in 300k–750k of a million memories:
   * 7–30 ms against 15–58 ms); a word FTS5 would split into several tokens is not in it, and is counted
   * by MATCH. The namespace searched holds every live memory (the keyword index holds no other), so this
   * is its own count, kept in its share as namespaceRows' would be.
   */
  private commonCount(term: string, namespace: string, corpus: Corpus): number {
    return this.keptCounts.rows(
      namespace,
      term,
      corpus.documents,
      () => this.vocabularyCount(term) ?? this.countUpTo(term, Number.MAX_SAFE_INTEGER),
    );
  }

  private vocabularyCount(term: string): number | undefined {
    if (this.vocabulary === 'unknown') {
      try {
        // A temporary table: this connection's own, nothing is written to the database file.
        this.db.exec(
          "CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_fts_terms USING fts5vocab(main, 'memories_fts', 'row')",
        );
        this.vocabulary = 'ready';
      } catch {
        this.vocabulary = 'unavailable'; // counted by MATCH instead
      }
    }
    if (this.vocabulary === 'unavailable') return undefined;
    const rows = this.statements
      .get('SELECT doc FROM temp.memories_fts_terms WHERE term = ?')
      .pluck()
      .get(fts5Token(term));
    return typeof rows === 'number' && rows > COMMON_TERM_ROWS ? rows : undefined;
  }

  /**
   * The index's own totals, as bm25() reads them: FTS5 keeps a record (rowid 1 of its data table) of
   * how many rows it holds and how many tokens each column holds in all, as SQLite varints.
   */
  private storeCorpus(): Corpus {
    const record = this.statements.get('SELECT block FROM memories_fts_data WHERE id = 1').pluck().get() as
      Buffer | undefined;
    if (!record) return { documents: 0, averageLength: 1 };
    const [documents, tokens] = readVarints(record, 2);
    return { documents, averageLength: documents > 0 && tokens > 0 ? tokens / documents : 1 };
  }

  /** The namespace's live memories and their length in index tokens (migration 026). */
  private namespaceCorpus(namespace: string): Corpus {
    const row = this.statements
      .get('SELECT documents, tokens FROM memories_keyword_corpus WHERE namespace = ?')
      .get(namespace) as { documents: number; tokens: number } | undefined;
    if (!row || row.documents <= 0) return { documents: 0, averageLength: 1 };
    return { documents: row.documents, averageLength: row.tokens > 0 ? row.tokens / row.documents : 1 };
  }

  /**
   * By bm25(), the top k by the whole query among memories holding a rare term, in two bounded queries.
   * BM25 sums over the query's terms, and `rare AND common` holds the same terms as `rare OR common`,
   * so it scores a memory holding both kinds exactly as the whole query would; a memory holding only
   * rare terms scores the same under `rare` alone. Every memory of the true top k is then in the top k
   * of one of the two lists, with its true score.
   */
  private rankWithRareTerms(
    rare: readonly string[],
    common: readonly string[],
    filter: MemoryFilter,
    k: number,
  ): KeywordHit[] {
    const scores = new Map<number, number>();
    for (const hit of this.rankMatches(anyOf(rare), filter, k)) scores.set(hit.id, hit.bm25);
    if (common.length > 0) {
      for (const hit of this.rankMatches(`(${anyOf(rare)}) AND (${anyOf(common)})`, filter, k)) {
        scores.set(hit.id, hit.bm25);
      }
    }
    return [...scores]
      .map(([id, score]) => ({ id, bm25: score }))
      .sort((a, b) => b.bm25 - a.bm25 || b.id - a.id)
      .slice(0, k);
  }

  /**
   * CROSS JOIN keeps the full-text match as the outer loop: with a selective filter SQLite otherwise
   * walks the admitted memories and re-runs the MATCH for each (seconds at 100k memories).
   */
  private rankMatches(match: string, filter: MemoryFilter, k: number): KeywordHit[] {
    const where = memoryFilterSql(filter, 'probe');
    return this.statements
      .get(
        `SELECT m.id AS id, -bm25(memories_fts) AS bm25 FROM memories_fts CROSS JOIN ${PROBED_MEMORIES} ON m.id = memories_fts.rowid
         WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY bm25(memories_fts), m.id DESC LIMIT ?`,
      )
      .all(match, ...where.params, k) as KeywordHit[];
  }

  /** By bm25(), over the newest admitted matches only: the full-text index walks them newest first and stops. */
  private rankNewest(
    terms: readonly string[],
    filter: MemoryFilter,
    ranges: readonly IdRange[],
    k: number,
  ): KeywordHit[] {
    const where = fullTextWalkWhere(filter, ranges);
    return this.statements
      .get(
        `SELECT id, bm25 FROM (
           SELECT m.id AS id, -bm25(memories_fts) AS bm25 FROM memories_fts CROSS JOIN ${PROBED_MEMORIES} ON m.id = memories_fts.rowid
           WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY memories_fts.rowid DESC LIMIT ?
         ) ORDER BY bm25 DESC, id DESC LIMIT ?`,
      )
      .all(anyOf(terms), ...where.params, RECENT_MATCHES_RANKED, k) as KeywordHit[];
  }
}

/** The first `count` SQLite varints of a record (big-endian, 7 bits a byte; a ninth byte carries 8). */
export function readVarints(record: Uint8Array, count: number): number[] {
  const values: number[] = [];
  let offset = 0;
  while (values.length < count && offset < record.length) {
    let value = 0;
    for (let i = 0; ; i++) {
      const byte = record[offset++];
      if (i === 8) {
        value = value * 256 + byte;
        break;
      }
      value = value * 128 + (byte & 0x7f);
      if (byte < 0x80 || offset >= record.length) break;
    }
    values.push(value);
  }
  while (values.length < count) values.push(0);
  return values;
}
