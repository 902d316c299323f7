import { Fts5TermCounter, TermCounts } from './fts5-term-counter';
import { MemoryFilter, memoryFilterSql, PROBED_MEMORIES, SqlFragment } from './memory-filter.sql';
import { anyOf } from './fts5-query';
import { IdRange, idRangesSql } from './memory-id-blocks';
import { PreparedStatements } from './prepared-statements';
import { RECENT_MATCHES_RANKED } from './search.store';

/** A memory holding one of the terms, with the counts the scoring needs (Fts5TermCounter). */
export interface CountedHolder {
  id: number;
  counts: TermCounts;
}

/**
 * The RECENT_MATCHES_RANKED newest memories a filter admits that hold one of the terms, with their term
 * counts: FTS5 walks the terms' matches newest first between the ranges' bounds, and each match is checked
 * against the ranges and the filter. Until 2026-12-05 the bounds reached FTS5 as REAL values, which it
 * ignores (memory-id-blocks.ts): it stepped over every newer match, and a second walk, of the admitted
 * memories' texts, was kept for windows far back. With integer bounds this walk alone was faster on the
 * bench's queries at a million memories (mean 8.0 against 9.0–9.8 ms), so it is the only one.
 */
export function newestHolders(
  statements: PreparedStatements,
  terms: readonly string[],
  filter: MemoryFilter,
  ranges: readonly IdRange[],
  counter: Fts5TermCounter,
): CountedHolder[] {
  const where = fullTextWalkWhere(filter, ranges);
  const rows = statements
    .get(
      `SELECT m.id AS id, m.content AS content FROM memories_fts CROSS JOIN ${PROBED_MEMORIES} ON m.id = memories_fts.rowid
       WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY memories_fts.rowid DESC LIMIT ?`,
    )
    .all(anyOf(terms), ...where.params, RECENT_MATCHES_RANKED) as { id: number; content: string }[];
  return rows.map(({ id, content }) => ({ id, counts: counter.count(content) }));
}

/**
 * The filter, and the id ranges that can hold its memories ahead of it: FTS5 takes the ranges' hull as
 * the bounds of its walk, and the ranges inside are checked before the memory is looked up. The tag is
 * looked up first, against the full-text rowid (memoryFilterSql's `probedId`): inside the ranges the time
 * window rarely rejects a match.
 */
export function fullTextWalkWhere(filter: MemoryFilter, ranges: readonly IdRange[]): SqlFragment {
  const inRanges = idRangesSql('memories_fts.rowid', ranges);
  const admitted = memoryFilterSql(filter, 'probe', 'memories_fts.rowid');
  return { sql: `${inRanges.sql} AND ${admitted.sql}`, params: [...inRanges.params, ...admitted.params] };
}
