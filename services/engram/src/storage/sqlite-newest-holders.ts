import { Fts5TermCounter, TermCounts } from './fts5-term-counter';
import { MemoryFilter, memoryFilterSql, PROBED_MEMORIES, SqlFragment } from './memory-filter.sql';
import { anyOf } from './fts5-query';
import { clipRanges, IdRange, idRangesSql, idsBelow } from './memory-id-blocks';
import { PreparedStatements } from './prepared-statements';
import { RECENT_MATCHES_RANKED } from './search.store';
import { SqliteDatabase } from './sqlite.connection';

/**
 * What each walk costs, in microseconds, measured at a million memories on the 2-core machine. Only their
 * ratios decide anything: both walks find the same memories.
 */
const COST_US = {
  /** FTS5 stepping over a match outside the walk's bounds. */
  steppedOver: 0.07,
  /** FTS5 reaching a match inside the walk's bounds, and its filter check. */
  fullTextMatch: 1.5,
  /** The admitted walk reading an admitted memory's text and counting the terms in it. */
  admittedRead: 3,
  /** The admitted walk passing over a memory the filter leaves out (a covering-index entry, a tag look-up). */
  passedOver: 0.6,
};
/** The admitted walk is tried only when the full-text walk would spend this long stepping over matches. */
const MIN_STEPPED_OVER_US = 2_000;
/** The admitted walk projects its cost after every slice of ids and every so many admitted memories read. */
const PROJECT_EVERY_READS = 100;
/** Its first slice of ids, and the largest: each slice is twice the one before. */
const FIRST_SLICE_IDS = 2_048;
const MAX_SLICE_IDS = 65_536;

/** A common term of the query: how many memories hold it, and whether FTS5 indexes it as one token. */
export interface CommonTerm {
  term: string;
  rows: number;
  /**
   * Found in FTS5's vocabulary: the text counter then finds the memories MATCH finds, except a word
   * written against an emoji newer than FTS5's Unicode tables, one token for FTS5 (fts5-term-counter.ts).
   */
  oneToken: boolean;
}

/** A memory holding one of the terms, with the counts the scoring needs (Fts5TermCounter). */
export interface CountedHolder {
  id: number;
  counts: TermCounts;
}

/** Which walk finds the newest holders; `cheaper` in service, the others for specs that hold them equal. */
export type NewestWalk = 'cheaper' | 'full-text' | 'admitted';

/**
 * The RECENT_MATCHES_RANKED newest memories a filter admits that hold one of a query's terms, found by
 * the cheaper of two walks:
 * - the full-text walk: FTS5 walks the terms' matches newest first, and each is checked against the
 *   filter. FTS5 (3.53) begins a newest-first walk at each term's newest match even when the walk's upper
 *   bound lies far below it, and steps over every match in between. For a word in three of four memories
 *   and a window ending half-way back in a million, that is ~30 ms before the first match.
 * - the admitted walk: the memories the filter admits, newest first through the covering filter index,
 *   each one's text tested for the terms as FTS5 tokenizes it. It pays for every admitted memory, holder
 *   or not, so it is cheaper only when the terms are held by a large share of them.
 * The admitted walk is tried only when the full-text walk would step over many matches. It measures the
 * admitted and holding shares as it goes and hands over to the full-text walk once its projected cost
 * passes the full-text walk's.
 */
export class SqliteNewestHolders {
  /** Walks taken since start: how often each walk answered, and how often the admitted walk handed over. */
  readonly walks = { fullText: 0, admitted: 0, handedOver: 0 };
  private readonly statements: PreparedStatements;

  constructor(
    db: SqliteDatabase,
    private readonly walk: NewestWalk = 'cheaper',
  ) {
    this.statements = new PreparedStatements(db);
  }

  /** Terms of any frequency (rare terms' holders all fit in the window), through the full-text index. */
  byFullText(
    terms: readonly string[],
    filter: MemoryFilter,
    ranges: readonly IdRange[],
    counter: Fts5TermCounter,
  ): CountedHolder[] {
    this.walks.fullText++;
    const where = fullTextWalkWhere(filter, ranges);
    const rows = this.statements
      .get(
        `SELECT m.id AS id, m.content AS content FROM memories_fts CROSS JOIN ${PROBED_MEMORIES} ON m.id = memories_fts.rowid
         WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY memories_fts.rowid DESC LIMIT ?`,
      )
      .all(anyOf(terms), ...where.params, RECENT_MATCHES_RANKED) as { id: number; content: string }[];
    return rows.map(({ id, content }) => ({ id, counts: counter.count(content) }));
  }

  /** Common terms only (the counter counts exactly these terms), by the cheaper walk. */
  ofCommonTerms(
    terms: readonly CommonTerm[],
    filter: MemoryFilter,
    ranges: readonly IdRange[],
    counter: Fts5TermCounter,
  ): CountedHolder[] {
    const words = terms.map(({ term }) => term);
    if (this.walk === 'full-text' || !terms.every(({ oneToken }) => oneToken)) {
      return this.byFullText(words, filter, ranges, counter);
    }
    const steppedOverUs = this.walk === 'admitted' ? undefined : this.steppedOverUs(terms, ranges);
    if (steppedOverUs !== undefined && steppedOverUs < MIN_STEPPED_OVER_US) {
      return this.byFullText(words, filter, ranges, counter);
    }
    return (
      this.byAdmittedWalk(filter, ranges, counter, steppedOverUs) ?? this.byFullText(words, filter, ranges, counter)
    );
  }

  /**
   * How long the full-text walk will step over matches above its upper bound, as if each term's holders
   * were spread evenly over the ids. Nothing in a store written in time order, for a window ending now.
   */
  private steppedOverUs(terms: readonly CommonTerm[], ranges: readonly IdRange[]): number {
    const newest = this.statements.get('SELECT max(id) FROM memories').pluck().get() as number | null;
    const bound = ranges[ranges.length - 1].to;
    if (newest === null || newest <= bound) return 0;
    const above = (newest - bound) / newest;
    return terms.reduce((sum, { rows }) => sum + rows * above, 0) * COST_US.steppedOver;
  }

  /**
   * Admitted memories newest first, each tested for the terms, in slices of ids that grow as the walk
   * goes (SQLite passes over left-out memories without a word to the caller, so a slice bounds how far it
   * goes between projections). Undefined, handed over, once the walk's projected cost from there passes
   * the full-text walk's whole cost; never handed over without `steppedOverUs` (a spec's forced walk).
   */
  private byAdmittedWalk(
    filter: MemoryFilter,
    ranges: readonly IdRange[],
    counter: Fts5TermCounter,
    steppedOverUs: number | undefined,
  ): CountedHolder[] | undefined {
    const top = ranges[ranges.length - 1].to;
    const holders: CountedHolder[] = [];
    let read = 0;
    const handOver = (lowestId: number) => {
      if (steppedOverUs === undefined) return false;
      const walked = { ids: top - lowestId + 1, read, holders: holders.length };
      return admittedWalkCostUs(walked, idsBelow(ranges, lowestId)) > fullTextWalkCostUs(walked, steppedOverUs);
    };
    let sliceIds = FIRST_SLICE_IDS;
    for (let to = top; to >= ranges[0].from; to -= sliceIds, sliceIds = Math.min(sliceIds * 2, MAX_SLICE_IDS)) {
      const slice = clipRanges(ranges, to - sliceIds + 1, to);
      if (slice.length === 0) continue;
      const newest = admittedNewestFirstSql(filter, slice);
      for (const { id, content } of this.statements
        .get(newest.sql)
        .iterate(...newest.params) as Iterable<AdmittedRow>) {
        read++;
        const counts = counter.count(content);
        if (counts.frequencies.some((frequency) => frequency > 0)) {
          holders.push({ id, counts });
          if (holders.length === RECENT_MATCHES_RANKED) break;
        }
        if (read % PROJECT_EVERY_READS === 0 && handOver(id)) return this.handedOver();
      }
      if (holders.length === RECENT_MATCHES_RANKED) break;
      if (handOver(slice[0].from)) return this.handedOver();
    }
    this.walks.admitted++;
    return holders;
  }

  private handedOver(): undefined {
    this.walks.handedOver++;
    return undefined;
  }
}

interface AdmittedRow {
  id: number;
  content: string;
}

/** How far an admitted walk has gone: ids passed (admitted or not), admitted memories read, holders found. */
export interface WalkSoFar {
  ids: number;
  read: number;
  holders: number;
}

/**
 * The admitted walk's cost from here to RECENT_MATCHES_RANKED holders (or to the end of its ranges), at
 * the shares seen so far. With no holder yet it projects as if the next id held one.
 */
export function admittedWalkCostUs({ ids, read, holders }: WalkSoFar, idsLeft: number): number {
  const wanted = RECENT_MATCHES_RANKED - holders;
  if (wanted <= 0 || ids <= 0) return 0;
  const moreIds = Math.min(idsLeft, (wanted * ids) / Math.max(holders, 1));
  const readShare = read / ids;
  return moreIds * (readShare * COST_US.admittedRead + (1 - readShare) * COST_US.passedOver);
}

/**
 * The full-text walk's whole cost at the admitted share seen so far: stepping over, then checking a match
 * for every admitted holder it needs and for each one the filter leaves out on the way.
 */
export function fullTextWalkCostUs({ ids, read }: WalkSoFar, steppedOverUs: number): number {
  return steppedOverUs + RECENT_MATCHES_RANKED * (ids / Math.max(read, 1)) * COST_US.fullTextMatch;
}

/**
 * The memories the filter admits in the ranges with their text, newest first: a walk of the covering
 * filter index in id order (no sort), each admitted memory's row read for its text.
 */
export function admittedNewestFirstSql(filter: MemoryFilter, ranges: readonly IdRange[]): SqlFragment {
  const inRanges = idRangesSql('m.id', ranges);
  const admitted = memoryFilterSql(filter, 'probe');
  return {
    sql: `SELECT m.id AS id, (SELECT content FROM memories c WHERE c.id = m.id) AS content FROM ${PROBED_MEMORIES}
          WHERE ${inRanges.sql} AND ${admitted.sql} ORDER BY m.id DESC`,
    params: [...inRanges.params, ...admitted.params],
  };
}

/**
 * The filter, and the id ranges that can hold its memories ahead of it: FTS5 takes the ranges' hull as
 * the bounds of its walk (stepping over an entry costs a tenth of reading the memory to reject it), and
 * the ranges inside are checked before the memory is read.
 */
export function fullTextWalkWhere(filter: MemoryFilter, ranges: readonly IdRange[]): SqlFragment {
  const inRanges = idRangesSql('memories_fts.rowid', ranges);
  const admitted = memoryFilterSql(filter, 'probe', 'memories_fts.rowid');
  return { sql: `${inRanges.sql} AND ${admitted.sql}`, params: [...inRanges.params, ...admitted.params] };
}
