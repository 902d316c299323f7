import { isNarrowing, MemoryFilter } from './memory-filter.sql';

/**
 * What `memory_tallies` counts for each namespace, kept by both engines' triggers in the transaction of
 * every write (SQLite migration 030, PostgreSQL 20), so the namespace's figures are read, not recounted:
 * - `live`: memories not deleted (superseded versions included), `current`: live and not superseded;
 * - `deleted`: tombstones, each deletion once; `trash`: texts in the trash, a text deleted twice once (the
 *   trash's entries; SQLite migration 031, PostgreSQL 22);
 * - `type` and `tag`, keyed by the type or the tag: live memories of that type, live memories carrying it.
 */
export type TallyFacet = 'live' | 'current' | 'deleted' | 'trash' | 'type' | 'tag';

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

/** How many memories a filter admits at least and at most, as far as the tallies tell. */
export interface AdmittedBounds {
  atLeast: number;
  atMost: number;
}

/** The tallies admittedBounds reads: the namespace's totals and the filter's type and tags. */
export function talliesForBounds(filter: MemoryFilter): { facet: TallyFacet; key: string }[] {
  return [
    { facet: 'live', key: '' },
    { facet: 'current', key: '' },
    ...(filter.memoryType === undefined ? [] : [{ facet: 'type' as const, key: filter.memoryType }]),
    ...[...new Set(filter.tags ?? [])].map((tag) => ({ facet: 'tag' as const, key: tag })),
  ];
}

/**
 * Bounds on the memories `filter` admits from the namespace's tallies (talliesForBounds): exact without a
 * narrowing filter; a type or tags alone are known but for the superseded memories they may count (the
 * type and tag tallies count them, a filter leaves them out unless asked); with more conditions than one
 * of those, only the smallest tally bounds the count from above.
 */
export function admittedBounds(
  filter: MemoryFilter,
  tally: (facet: TallyFacet, key?: string) => number,
): AdmittedBounds {
  const live = tally('live');
  const namespace = filter.includeSuperseded ? live : tally('current');
  const superseded = filter.includeSuperseded ? 0 : live - namespace;
  const tags = [...new Set(filter.tags ?? [])].map((tag) => tally('tag', tag));
  const timed = filter.createdFromMs !== undefined || filter.createdBeforeMs !== undefined;
  const typed = filter.memoryType !== undefined;
  let atMost = namespace;
  let atLeast = isNarrowing(filter) ? 0 : namespace;
  if (typed) atMost = Math.min(atMost, tally('type', filter.memoryType));
  if (tags.length > 0) {
    const all = filter.tagMatch === 'all';
    atMost = Math.min(atMost, all ? Math.min(...tags) : tags.reduce((sum, count) => sum + count, 0));
  }
  if (!timed && typed && tags.length === 0) atLeast = tally('type', filter.memoryType) - superseded;
  if (!timed && !typed && tags.length > 0 && (filter.tagMatch !== 'all' || tags.length === 1)) {
    atLeast = Math.max(...tags) - superseded;
  }
  return { atLeast: Math.max(0, atLeast), atMost };
}

/** The tag of a filter that narrows by one tag and nothing else: its tally nearly counts the filter. */
export function soleTagOf(filter: MemoryFilter): string | undefined {
  const tags = [...new Set(filter.tags ?? [])];
  const alone =
    filter.memoryType === undefined && filter.createdFromMs === undefined && filter.createdBeforeMs === undefined;
  return alone && tags.length === 1 ? tags[0] : undefined;
}

/** What the tallies say about a filter of one tag alone (soleTagOf). */
export interface SoleTagFigures {
  /** The tag's tally: its live memories, superseded ones included. */
  tagged: number;
  /** The namespace's superseded memories (live less current). */
  superseded: number;
  /** The store's superseded memories, all namespaces: what looking them up one by one costs. */
  storeSuperseded: number;
}

/**
 * The most superseded memories a page reached by cursor looks up one by one for its total: each page of a
 * walk pays for them again. On SQLite, with a tag on 19,000 of 100,000 memories and pages of 100, the look-ups
 * took 1.0 ms a page for 500 superseded memories and 6.8 ms for 5,000, against 0.6 ms for the page's own
 * rows (a walk of the tag 4.2 s with them, 0.2 s without). A numbered page passes over its offset anyway.
 */
export const CURSOR_TOTAL_MAX_LOOKUPS = 1_000;

/**
 * How a filter of one tag alone is counted, so a page's total does not cost the tag's size: the tag's tally
 * as it is (`tally`) when the filter admits superseded memories, the namespace has none or no live memory
 * carries the tag; the tally less the superseded memories carrying the tag (`less_superseded`), looked up
 * one by one, when the store holds fewer superseded memories than the tag holds memories and no more than
 * `maxLookups`; otherwise the tag's range is counted (`range`: a numbered page only, one by cursor goes without).
 */
export function soleTagCount(
  filter: MemoryFilter,
  figures: SoleTagFigures,
  maxLookups = Infinity,
): 'tally' | 'less_superseded' | 'range' {
  if (filter.includeSuperseded || figures.superseded === 0 || figures.tagged === 0) return 'tally';
  const lookups = figures.storeSuperseded;
  return lookups < figures.tagged && lookups <= maxLookups ? 'less_superseded' : 'range';
}
