/**
 * Event ids: each namespace numbers its own events (the store-wide events, namespace `*`, too), the next
 * id being max(previous id in that namespace + 1, now in microseconds since the epoch).
 *
 * Ids therefore increase strictly within a namespace and keep increasing across restarts (a client that
 * resumes with the Last-Event-ID of a previous server run gets every event of the new run, instead of
 * having them mistaken for ones it already saw), as long as a namespace publishes fewer than a million
 * events a second on average. Per namespace, because with one sequence a tenant's ids rose by one for each
 * event of another namespace published within the same microseconds: its own stream counted the others'.
 * With Redis the same rule runs in one Lua script next to PUBLISH, so every process shares the sequences and
 * every subscriber receives each namespace's ids in increasing order.
 */
export function nextEventId(previousId: number, nowMs = Date.now()): number {
  return Math.max(previousId + 1, Math.floor(nowMs) * 1000);
}

/**
 * The last id of each namespace's sequence in this process. A sequence the clock has passed no longer holds
 * back its next id, so it is forgotten: what is kept is bounded by the namespaces that published within the
 * last microseconds, not by every namespace ever seen. The latest clock reading stays as a floor, so a clock
 * stepping back never hands out an id twice: every id forgotten was below a reading. A reading and not the
 * newest id forgotten, which would give another namespace's count to the next namespace to publish.
 */
export class NamespaceSequences {
  /** By last use, the least recent first (a Map keeps the order of insertion). */
  private readonly lastIds = new Map<string, number>();
  /** The latest clock reading in µs. */
  private clockFloor = 0;

  next(namespace: string, nowMs = Date.now()): number {
    const id = nextEventId(this.lastIds.get(namespace) ?? this.clockFloor - 1, nowMs);
    this.lastIds.delete(namespace);
    this.lastIds.set(namespace, id);
    this.forgetPassed(nowMs);
    return id;
  }

  /** How many sequences are remembered. */
  get size(): number {
    return this.lastIds.size;
  }

  private forgetPassed(nowMs: number): void {
    const now = Math.floor(nowMs) * 1000;
    this.clockFloor = Math.max(this.clockFloor, now);
    for (const [namespace, lastId] of this.lastIds) {
      if (lastId >= now) return;
      this.lastIds.delete(namespace);
    }
  }
}
