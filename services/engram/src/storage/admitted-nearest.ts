import { MemoryFilter, memoryFilterSql, PROBED_MEMORIES, SqlFragment } from './memory-filter.sql';

/** Index candidates checked against a filter at a time (see admittedNearest). */
const FILTER_SLICE = 256;

/**
 * The statement selecting, among candidate ids (a JSON array, its first parameter), the memories the filter
 * admits: one probe of the filter-probe index per candidate, the candidates as the outer loop (CROSS JOIN:
 * otherwise SQLite walks the namespace's index and tests every row against the list). When the caller has
 * already left out candidates outside the filter's id ranges (`candidatesInRanges`, as the index's thread does), the
 * time window rarely rejects one and the tag decides: it is looked up first (memoryFilterSql's `probedId`).
 */
export function admittedIdsSql(filter: MemoryFilter, candidatesInRanges = false): SqlFragment {
  const where = memoryFilterSql(filter, 'probe', candidatesInRanges ? 'c.value' : 'm.id');
  return {
    sql: `SELECT m.id FROM json_each(?) c CROSS JOIN ${PROBED_MEMORIES} ON m.id = c.value WHERE ${where.sql}`,
    params: where.params,
  };
}

/**
 * The nearest candidates a filter admits, checked nearest first in slices and only until `enough` pass
 * (a pool sized with a margin is mostly left unchecked); every candidate is checked when too few pass.
 */
export function admittedNearest(
  nearest: readonly number[],
  enough: number,
  admitted: (ids: readonly number[]) => ReadonlySet<number>,
): { passing: number[]; checked: number } {
  const passing: number[] = [];
  let checked = 0;
  while (checked < nearest.length && passing.length < enough) {
    const slice = nearest.slice(checked, checked + Math.max(enough, FILTER_SLICE));
    const allowed = admitted(slice);
    for (const id of slice) if (allowed.has(id)) passing.push(id);
    checked += slice.length;
  }
  return { passing, checked };
}
