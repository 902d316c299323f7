import { MemoryFilter, SqlFragment } from './memory-filter.sql';
import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';

/** Ids to a block of memory_id_blocks: the migration that made it (024) keys blocks by id >> 10. */
const IDS_PER_BLOCK = 1024;
/** Most ranges a walk is told apart; past it the nearest ranges are joined (a joined gap is checked, not skipped). */
const MAX_RANGES = 8;

/** Ids from `from` to `to`, both included. */
export interface IdRange {
  from: number;
  to: number;
}

/**
 * Which ids can hold a filter's memories, from the namespace's id blocks and the creation times each
 * holds (memory_id_blocks, kept by triggers; see migration 024). A walk in id order, such as the
 * full-text index's newest-first walk, then skips the ids outside: memories of other namespaces, and
 * of other times when creation time and insertion order go together, as they do unless memories are
 * imported with their old dates. The ranges always hold every memory the filter admits.
 */
export class MemoryIdBlocks {
  private readonly statements: PreparedStatements;

  constructor(db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  /** The ranges, oldest first, at most MAX_RANGES; none when no memory of the filter exists. */
  ranges(filter: MemoryFilter): IdRange[] {
    if (filter.createdFromMs === undefined && filter.createdBeforeMs === undefined) {
      const hull = this.statements
        .get('SELECT min(block) AS first, max(block) AS last FROM memory_id_blocks WHERE namespace = ?')
        .get(filter.namespace) as { first: number | null; last: number | null };
      return hull.first === null || hull.last === null ? [] : [blockRange(hull.first, hull.last)];
    }
    const blocks = this.statements
      .get(
        `SELECT block FROM memory_id_blocks
         WHERE namespace = ? AND newest_created >= ? AND oldest_created < ? ORDER BY block`,
      )
      .pluck()
      .all(
        filter.namespace,
        filter.createdFromMs ?? Number.MIN_SAFE_INTEGER,
        filter.createdBeforeMs ?? Number.MAX_SAFE_INTEGER,
      ) as number[];
    return joinNearest(runsOf(blocks), MAX_RANGES);
  }
}

/**
 * A condition that a row id column lies in the ranges: the hull as a plain bound (the full-text index
 * takes it as its own start and end), each range inside it with the column behind `+`, so SQLite checks
 * them per row instead of handing the index a second, conflicting bound. The hull's bounds are cast to
 * integers: better-sqlite3 binds a JavaScript number as a REAL, and FTS5 takes a rowid bound only when it
 * is an INTEGER; given a REAL it walks from each term's newest match and SQLite drops the rows past the
 * bound afterwards (at a million, ~0.07 µs for each match stepped over: ~20 ms for common words when the
 * bound lies half-way back).
 */
export function idRangesSql(column: string, ranges: readonly IdRange[]): SqlFragment {
  const hull = { from: ranges[0].from, to: ranges[ranges.length - 1].to };
  const params: number[] = [hull.from, hull.to];
  let sql = `${column} BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER)`;
  if (ranges.length > 1) {
    sql += ` AND (${ranges.map(() => `+${column} BETWEEN ? AND ?`).join(' OR ')})`;
    for (const range of ranges) params.push(range.from, range.to);
  }
  return { sql, params };
}

/** Whether one of the ranges holds the id. */
export function inRanges(ranges: readonly IdRange[], id: number): boolean {
  for (const range of ranges) if (id >= range.from && id <= range.to) return true;
  return false;
}

function blockRange(first: number, last: number): IdRange {
  return { from: first * IDS_PER_BLOCK, to: last * IDS_PER_BLOCK + IDS_PER_BLOCK - 1 };
}

/** Consecutive blocks (ascending) as id ranges. */
function runsOf(blocks: readonly number[]): IdRange[] {
  const ranges: IdRange[] = [];
  let first = blocks[0];
  for (let i = 1; i <= blocks.length; i++) {
    if (i < blocks.length && blocks[i] === blocks[i - 1] + 1) continue;
    if (first !== undefined) ranges.push(blockRange(first, blocks[i - 1]));
    first = blocks[i];
  }
  return ranges;
}

/** Joins the ranges across their smallest gaps until at most `most` are left. */
export function joinNearest(ranges: readonly IdRange[], most: number): IdRange[] {
  if (ranges.length <= most) return [...ranges];
  const gaps = ranges.slice(1).map((range, i) => ({ after: i, size: range.from - ranges[i].to }));
  const joinedAfter = new Set(
    gaps
      .sort((a, b) => a.size - b.size || a.after - b.after)
      .slice(0, ranges.length - most)
      .map((gap) => gap.after),
  );
  const joined: IdRange[] = [{ ...ranges[0] }];
  for (let i = 1; i < ranges.length; i++) {
    if (joinedAfter.has(i - 1)) joined[joined.length - 1].to = ranges[i].to;
    else joined.push({ ...ranges[i] });
  }
  return joined;
}
