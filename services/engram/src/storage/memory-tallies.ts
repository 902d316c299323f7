import { isNarrowing, MemoryFilter } from './memory-filter.sql';

/**
 * What `memory_tallies` counts for each namespace, kept by both engines' triggers in the transaction of
 * every write (SQLite migration 030, PostgreSQL 20), so the namespace's figures are read, not recounted:
 * - `live`: memories not deleted (superseded versions included), `current`: live and not superseded;
 * - `deleted`: tombstones, each deletion once;
 * - `type` and `tag`, keyed by the type or the tag: live memories of that type, live memories carrying it.
 */
export type TallyFacet = 'live' | 'current' | 'deleted' | 'type' | 'tag';

/** One tally: the facet, its key ('' for the totals) and the count. */
export interface TallyRow {
  facet: TallyFacet;
  key: string;
  n: number;
}

/**
 * The tally that is the filter's count, when one is: a list or a search over the whole namespace
 * (superseded versions left out or not); undefined when the filter narrows and its rows must be counted.
 */
export function tallyOfFilter(filter: MemoryFilter): TallyFacet | undefined {
  if (isNarrowing(filter)) return undefined;
  return filter.includeSuperseded ? 'live' : 'current';
}

/** The total of one facet among the rows ('' key), 0 when absent. */
export function totalOf(rows: readonly TallyRow[], facet: TallyFacet): number {
  return rows.find((row) => row.facet === facet && row.key === '')?.n ?? 0;
}
