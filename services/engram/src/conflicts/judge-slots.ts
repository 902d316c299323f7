/** A wait for a judge slot ended because its namespace had its share waiting and a newer one came. */
export class JudgeWaitGaveWay extends Error {
  constructor(maxWaitingPerNamespace: number) {
    super(
      `${maxWaitingPerNamespace} judgements of this namespace were waiting for the judge (ENGRAM_CONFLICTS_JUDGE_MAX_WAITING_PER_NAMESPACE); this one, the oldest, gave way to a newer one`,
    );
    this.name = 'JudgeWaitGaveWay';
  }
}

export interface JudgeSlotLimits {
  /** Judge requests in flight at once. */
  size: number;
  /** Judge requests of one namespace waiting at once; a further one makes that namespace's oldest give way. */
  maxWaitingPerNamespace: number;
}

/** What the slots tell their owner, for metrics. */
export interface JudgeSlotEvents {
  waitingChanged(waiting: number): void;
  gaveWay(): void;
}

interface Turn {
  grant(): void;
  refuse(reason: unknown): void;
}

/**
 * At most `size` judge requests in flight per process. The others wait in a queue per namespace, and a
 * freed slot goes to the namespaces in turn (round-robin), each namespace's oldest first: a namespace
 * storing in bulk waits behind its own reviews, while another's review waits at most one turn of each
 * namespace waiting. A namespace holds at most `maxWaitingPerNamespace` waits; past it its oldest gives
 * way, being the nearest its deadline (a store's review waits one judge timeout in all), so a burst costs
 * its own namespace the judgements that would have timed out first, never another's. A wait also ends
 * early when its signal aborts, so no caller waits past its own limit.
 */
export class JudgeSlots {
  private free: number;
  /** Waiting turns by namespace, oldest first; the map's order is the order namespaces get slots in. */
  private readonly waiting = new Map<string, Turn[]>();
  private waitingCount = 0;

  constructor(
    private readonly limits: JudgeSlotLimits,
    private readonly events?: JudgeSlotEvents,
  ) {
    this.free = limits.size;
  }

  async run<T>(namespace: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(namespace, signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(namespace: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const turn: Turn = { grant: resolve, refuse: reject };
      const queue = this.waiting.get(namespace);
      if (queue && queue.length >= this.limits.maxWaitingPerNamespace) {
        const oldest = queue.shift()!;
        this.countWaiting(-1);
        oldest.refuse(new JudgeWaitGaveWay(this.limits.maxWaitingPerNamespace));
        this.events?.gaveWay();
      }
      if (queue) queue.push(turn);
      else this.waiting.set(namespace, [turn]);
      this.countWaiting(1);
      signal?.addEventListener('abort', () => this.remove(namespace, turn) && reject(signal.reason), { once: true });
    });
  }

  private release(): void {
    const [namespace] = this.waiting.keys();
    if (namespace === undefined) {
      this.free += 1;
      return;
    }
    const queue = this.waiting.get(namespace)!;
    const next = queue.shift()!;
    // To the back of the round: the namespaces waiting behind this one get the next slots first.
    this.waiting.delete(namespace);
    if (queue.length > 0) this.waiting.set(namespace, queue);
    this.countWaiting(-1);
    next.grant();
  }

  /** Takes a waiting turn out (and its namespace out of the round once none of its turns wait). */
  private remove(namespace: string, turn: Turn): boolean {
    const queue = this.waiting.get(namespace);
    const index = queue?.indexOf(turn) ?? -1;
    if (!queue || index < 0) return false;
    queue.splice(index, 1);
    if (queue.length === 0) this.waiting.delete(namespace);
    this.countWaiting(-1);
    return true;
  }

  private countWaiting(change: number): void {
    this.waitingCount += change;
    this.events?.waitingChanged(this.waitingCount);
  }
}
