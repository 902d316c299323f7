/** A kept count is trusted this long, and while its corpus has not grown or shrunk by a twentieth. */
const MAX_AGE_MS = 30 * 60_000;
const MAX_DRIFT = 0.05;
/** Counts kept; past it the oldest are forgotten. */
const KEPT = 10_000;

interface KeptCount {
  rows: number;
  documents: number;
  countedAt: number;
}

/**
 * How many memories hold a common term, for its IDF: counting one walks its every holder (tens of ms at a
 * million memories), and an IDF barely moves while the corpus it was counted in stays about the same size,
 * so a count is kept and reused until it is old or the corpus has drifted. Keys name the corpus and the
 * term (a namespace's counts are never another's).
 */
export class KeptTermCounts {
  private readonly counts = new Map<string, KeptCount>();

  /** The kept count for the key while current for a corpus of `documents`, else a fresh count, then kept. */
  rows(key: string, documents: number, count: () => number): number {
    return this.current(key, documents) ?? this.keep(key, count(), documents);
  }

  /** As rows(), for a count that is awaited. */
  async rowsAwaited(key: string, documents: number, count: () => Promise<number>): Promise<number> {
    return this.current(key, documents) ?? this.keep(key, await count(), documents);
  }

  /** The kept count while it is current for a corpus of `documents`. */
  private current(key: string, documents: number): number | undefined {
    const kept = this.counts.get(key);
    if (!kept) return undefined;
    const drift = Math.abs(documents - kept.documents) / Math.max(kept.documents, 1);
    return drift <= MAX_DRIFT && Date.now() - kept.countedAt < MAX_AGE_MS ? kept.rows : undefined;
  }

  private keep(key: string, rows: number, documents: number): number {
    this.counts.delete(key);
    if (this.counts.size >= KEPT) this.counts.delete(this.counts.keys().next().value!);
    this.counts.set(key, { rows, documents, countedAt: Date.now() });
    return rows;
  }
}

/** A key for a namespace's count of a term (NUL cannot occur in a namespace). */
export function namespaceTermKey(namespace: string, term: string): string {
  return `${namespace}\u0000${term}`;
}
