import { MemoryFilter } from './memory-filter.sql';

/**
 * What `memory_tallies` counts for each namespace, kept by both engines' triggers in the transaction of
 * every write (SQLite migration 030, PostgreSQL 20), so the namespace's figures are read, not recounted:
 * - `live`: memories not deleted (superseded versions included), `current`: live and not superseded;
 * - `deleted`: tombstones, each deletion once; `trash`: texts in the trash, a text deleted twice once (the
 *   trash's entries; SQLite migration 031, PostgreSQL 22);
 * - `type` and `tag`, keyed by the type or the tag: live memories of that type, live memories carrying it;
 * - `current_type` and `current_tag`: the same among the current memories, what a list leaves when superseded
 *   versions are left out (SQLite migration 035, PostgreSQL 27).
 */
export type TallyFacet = 'live' | 'current' | 'deleted' | 'trash' | 'type' | 'tag' | 'current_type' | 'current_tag';

/** One tally: the facet, its key ('' for the totals) and the count. */
export interface TallyRow {
  facet: TallyFacet;
  key: string;
  n: number;
}

/** One tally of a namespace: its facet and key. */
export interface TallyKey {
  facet: TallyFacet;
  key: string;
}

/**
 * The tally that is the filter's count, when one is: the whole namespace, one type or one tag, superseded
 * versions left out (the current tallies) or not; undefined for a time window, several tags or a type with a
 * tag, whose rows must be counted.
 */
export function tallyOfFilter(filter: MemoryFilter): TallyKey | undefined {
  if (filter.createdFromMs !== undefined || filter.createdBeforeMs !== undefined) return undefined;
  const tags = [...new Set(filter.tags ?? [])];
  const typed = filter.memoryType !== undefined;
  if (tags.length > 1 || (typed && tags.length > 0)) return undefined;
  const current = !filter.includeSuperseded;
  if (tags.length === 1) return { facet: current ? 'current_tag' : 'tag', key: tags[0] };
  if (typed) return { facet: current ? 'current_type' : 'type', key: filter.memoryType! };
  return { facet: current ? 'current' : 'live', key: '' };
}

/** The total of one facet among the rows ('' key), 0 when absent. */
export function totalOf(rows: readonly TallyRow[], facet: TallyFacet): number {
  return rows.find((row) => row.facet === facet && row.key === '')?.n ?? 0;
}

/** How many memories a filter admits at least and at most, as far as the tallies tell. */
export interface AdmittedBounds {
  atLeast: number;
  atMost: number;
}

/** The facets that count the filter's memories: the current ones unless superseded versions are admitted. */
function facetsFor(filter: MemoryFilter): { namespace: TallyFacet; type: TallyFacet; tag: TallyFacet } {
  return filter.includeSuperseded
    ? { namespace: 'live', type: 'type', tag: 'tag' }
    : { namespace: 'current', type: 'current_type', tag: 'current_tag' };
}

/** The tallies admittedBounds reads: the namespace's total and the filter's type and tags. */
export function talliesForBounds(filter: MemoryFilter): TallyKey[] {
  const facets = facetsFor(filter);
  return [
    { facet: facets.namespace, key: '' },
    ...(filter.memoryType === undefined ? [] : [{ facet: facets.type, key: filter.memoryType }]),
    ...[...new Set(filter.tags ?? [])].map((tag) => ({ facet: facets.tag, key: tag })),
  ];
}

/**
 * Bounds on the memories `filter` admits from the namespace's tallies (talliesForBounds): exact where one
 * tally is the filter's count (tallyOfFilter); any of several tags admits at least the most common one's;
 * otherwise (a time window, a type with tags, all of several tags) only the smallest tally bounds the count
 * from above.
 */
export function admittedBounds(
  filter: MemoryFilter,
  tally: (facet: TallyFacet, key?: string) => number,
): AdmittedBounds {
  const own = tallyOfFilter(filter);
  if (own) return { atLeast: tally(own.facet, own.key), atMost: tally(own.facet, own.key) };
  const facets = facetsFor(filter);
  const tags = [...new Set(filter.tags ?? [])].map((tag) => tally(facets.tag, tag));
  const all = filter.tagMatch === 'all';
  let atMost = tally(facets.namespace);
  if (filter.memoryType !== undefined) atMost = Math.min(atMost, tally(facets.type, filter.memoryType));
  if (tags.length > 0) atMost = Math.min(atMost, all ? Math.min(...tags) : tags.reduce((sum, n) => sum + n, 0));
  const timed = filter.createdFromMs !== undefined || filter.createdBeforeMs !== undefined;
  const anyTagAlone = !timed && filter.memoryType === undefined && tags.length > 0 && !all;
  return { atLeast: anyTagAlone ? Math.max(...tags) : 0, atMost };
}
