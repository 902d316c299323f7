import { MemoryFilter } from './memory-filter.sql';

/** Filters remembered; past it the least recently used is forgotten. */
const FILTERS_KEPT = 256;
/** Time bounds are remembered to the hour: "the last week" asked a minute later admits the same share. */
const BOUND_GRAIN_MS = 3_600_000;

/**
 * The share of index candidates each recent filter admitted. A filtered search through the HNSW index
 * otherwise learns it from a first, narrow search before the wide one its filter needs; remembered, the
 * next search with that filter goes wide at once, and the index searches while the keyword leg runs.
 * A hint only: a share that proves too high widens the search again, as a first search would.
 */
export class AdmittedShares {
  private readonly shares = new Map<string, number>();

  get(filter: MemoryFilter): number | undefined {
    const key = filterKey(filter);
    const share = this.shares.get(key);
    if (share !== undefined) {
      this.shares.delete(key); // re-inserted: most recently used last
      this.shares.set(key, share);
    }
    return share;
  }

  set(filter: MemoryFilter, share: number): void {
    const key = filterKey(filter);
    this.shares.delete(key);
    if (this.shares.size >= FILTERS_KEPT) this.shares.delete(this.shares.keys().next().value!);
    this.shares.set(key, share);
  }
}

function filterKey(filter: MemoryFilter): string {
  const hour = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / BOUND_GRAIN_MS));
  return JSON.stringify([
    filter.namespace,
    [...new Set(filter.tags ?? [])].sort(),
    filter.tagMatch ?? 'any',
    filter.memoryType ?? null,
    hour(filter.createdFromMs),
    hour(filter.createdBeforeMs),
    filter.includeSuperseded ?? false,
  ]);
}
