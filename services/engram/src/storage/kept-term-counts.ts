import { RecentlyUsedByNamespace } from '../common/recently-used-by-namespace';

/** A kept count is trusted this long, and while its corpus has not grown or shrunk by a twentieth. */
const MAX_AGE_MS = 30 * 60_000;
const MAX_DRIFT = 0.05;
/**
 * Counts kept, past which the least recently used is forgotten: each namespace its own 10,000, so one
 * tenant searching many common words never pushes out another's counts (whose next search would walk
 * every holder of its words again), and the process four namespaces' worth.
 */
const KEPT = { perNamespace: 10_000, total: 40_000 };

interface KeptCount {
  rows: number;
  documents: number;
  countedAt: number;
}

/**
 * How many memories hold a common term, for its IDF: counting one walks its every holder (tens of ms at a
 * million memories), and an IDF barely moves while the corpus it was counted in stays about the same size,
 * so a count is kept and reused until it is old or the corpus has drifted. Each is a count among one
 * namespace's memories, kept in that namespace's share (a namespace's counts are never another's).
 */
export class KeptTermCounts {
  private readonly counts = new RecentlyUsedByNamespace<string, KeptCount>(KEPT);

  /** The namespace's kept count of the term while current for a corpus of `documents`, else a fresh one, kept. */
  rows(namespace: string, term: string, documents: number, count: () => number): number {
    return this.current(namespace, term, documents) ?? this.keep(namespace, term, count(), documents);
  }

  /** As rows(), for a count that is awaited. */
  async rowsAwaited(namespace: string, term: string, documents: number, count: () => Promise<number>): Promise<number> {
    return this.current(namespace, term, documents) ?? this.keep(namespace, term, await count(), documents);
  }

  /** The kept count while it is current for a corpus of `documents`. */
  private current(namespace: string, term: string, documents: number): number | undefined {
    const kept = this.counts.get(namespace, term);
    if (!kept) return undefined;
    const drift = Math.abs(documents - kept.documents) / Math.max(kept.documents, 1);
    return drift <= MAX_DRIFT && Date.now() - kept.countedAt < MAX_AGE_MS ? kept.rows : undefined;
  }

  private keep(namespace: string, term: string, rows: number, documents: number): number {
    this.counts.set(namespace, term, { rows, documents, countedAt: Date.now() });
    return rows;
  }
}
