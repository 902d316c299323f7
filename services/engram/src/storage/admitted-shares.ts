import { RecentlyUsedByNamespace } from '../common/recently-used-by-namespace';
import { MemoryFilter } from './memory-filter.sql';

/**
 * Filters remembered, past which the least recently used is forgotten: each namespace its own 256, so one
 * tenant's many filters never push out another's (whose next filtered search would take the narrow first
 * search again, slower), and the process four namespaces' worth.
 */
const FILTERS_KEPT = { perNamespace: 256, total: 1024 };
/** Time bounds are remembered to the hour: "the last week" asked a minute later admits the same share. */
const BOUND_GRAIN_MS = 3_600_000;

/**
 * The share of index candidates each recent filter admitted. A filtered search through the HNSW index
 * otherwise learns it from a first, narrow search before the wide one its filter needs; remembered, the
 * next search with that filter goes wide at once, and the index searches while the keyword leg runs.
 * A hint only: a share that proves too high widens the search again, as a first search would.
 */
export class AdmittedShares {
  private readonly shares = new RecentlyUsedByNamespace<string, number>(FILTERS_KEPT);

  get(filter: MemoryFilter): number | undefined {
    return this.shares.get(filter.namespace, filterKey(filter));
  }

  set(filter: MemoryFilter, share: number): void {
    this.shares.set(filter.namespace, filterKey(filter), share);
  }
}

/** What the filter admits within its namespace (the namespace picks the share of the cache). */
function filterKey(filter: MemoryFilter): string {
  const hour = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / BOUND_GRAIN_MS));
  return JSON.stringify([
    [...new Set(filter.tags ?? [])].sort(),
    filter.tagMatch ?? 'any',
    filter.memoryType ?? null,
    hour(filter.createdFromMs),
    hour(filter.createdBeforeMs),
    filter.includeSuperseded ?? false,
  ]);
}
