import { LocalSlotGate, Slot, SlotGate } from './slot-gate';

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
  /** Judgements waiting for a slot to come free: not those whose slot is still being asked for. */
  waitingChanged(waiting: number): void;
  gaveWay(): void;
}

interface Turn {
  grant(slot: Slot): void;
  refuse(reason: unknown): void;
  /** Queued since every slot was found held: it waits for one to come free. */
  blocked?: boolean;
}

/**
 * At most `size` judge requests in flight: per process with the default LocalSlotGate, across every
 * process with a LeasedSlotGate. The others wait in a queue per namespace, and a slot coming free goes to
 * the namespaces in turn (round-robin), each namespace's oldest first: a namespace storing in bulk waits
 * behind its own reviews, while another's review waits at most one turn of each namespace waiting. A
 * namespace holds at most `maxWaitingPerNamespace` waits; past it its oldest gives way, being the nearest
 * its deadline (a store's review waits one judge timeout in all), so a burst costs its own namespace the
 * judgements that would have timed out first, never another's. A wait also ends early when its signal
 * aborts, so no caller waits past its own limit. The waits stay in this process even when the slots are
 * shared: a waiting judgement is a store's request held open here, which no other replica could answer.
 */
export class JudgeSlots {
  /** Waiting turns by namespace, oldest first; the map's order is the order namespaces get slots in. */
  private readonly waiting = new Map<string, Turn[]>();
  private waitingCount = 0;
  /** The turns waiting for a slot to come free (the gauge): not those queued while a slot is asked for. */
  private blockedCount = 0;
  /** Whether the gate's last answer was that every slot is held. */
  private full = false;
  /** Whether a loop is asking the gate for slots for the waiting turns. */
  private handingOut = false;

  constructor(
    private readonly limits: JudgeSlotLimits,
    private readonly events?: JudgeSlotEvents,
    private readonly gate: SlotGate = new LocalSlotGate(limits.size),
  ) {}

  async run<T>(namespace: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const slot = await this.acquire(namespace, signal);
    try {
      return await task();
    } finally {
      slot.giveBack();
    }
  }

  private acquire(namespace: string, signal?: AbortSignal): Promise<Slot> {
    signal?.throwIfAborted();
    const free = this.waitingCount === 0 ? this.gate.takeNow() : undefined;
    if (free) return Promise.resolve(free);
    return new Promise((resolve, reject) => {
      const turn: Turn = { grant: resolve, refuse: reject };
      const queue = this.waiting.get(namespace);
      if (queue && queue.length >= this.limits.maxWaitingPerNamespace) {
        const oldest = queue.shift()!;
        this.dequeued(oldest);
        oldest.refuse(new JudgeWaitGaveWay(this.limits.maxWaitingPerNamespace));
        this.events?.gaveWay();
      }
      if (queue) queue.push(turn);
      else this.waiting.set(namespace, [turn]);
      this.waitingCount += 1;
      if (this.full) this.block(turn);
      signal?.addEventListener('abort', () => this.remove(namespace, turn) && reject(signal.reason), { once: true });
      void this.handOut();
    });
  }

  /** Takes slots from the gate one at a time while turns wait, each to the next turn of the round. */
  private async handOut(): Promise<void> {
    if (this.handingOut) return;
    this.handingOut = true;
    try {
      while (this.waitingCount > 0) {
        const slot = await this.gate.take({ wanted: () => this.waitingCount > 0, refused: () => this.blockAll() });
        this.full = false;
        if (!slot) continue;
        const next = this.nextTurn();
        if (next) next.grant(slot);
        else slot.giveBack();
      }
    } catch (error) {
      this.refuseAll(error);
    } finally {
      this.handingOut = false;
      this.full = false;
    }
  }

  /** The next namespace's oldest turn, out of the queue; that namespace goes to the back of the round. */
  private nextTurn(): Turn | undefined {
    const [namespace] = this.waiting.keys();
    if (namespace === undefined) return undefined;
    const queue = this.waiting.get(namespace)!;
    const next = queue.shift()!;
    // To the back of the round: the namespaces waiting behind this one get the next slots first.
    this.waiting.delete(namespace);
    if (queue.length > 0) this.waiting.set(namespace, queue);
    this.dequeued(next);
    return next;
  }

  /** No slot can be had (the shared slots did not answer): every wait ends with the reason. */
  private refuseAll(reason: unknown): void {
    const turns = [...this.waiting.values()].flat();
    this.waiting.clear();
    for (const turn of turns) this.dequeued(turn);
    for (const turn of turns) turn.refuse(reason);
  }

  /** Takes a waiting turn out (and its namespace out of the round once none of its turns wait). */
  private remove(namespace: string, turn: Turn): boolean {
    const queue = this.waiting.get(namespace);
    const index = queue?.indexOf(turn) ?? -1;
    if (!queue || index < 0) return false;
    queue.splice(index, 1);
    if (queue.length === 0) this.waiting.delete(namespace);
    this.dequeued(turn);
    return true;
  }

  /** Every slot was found held: each turn waiting now, and each queued until a slot is had, waits for one. */
  private blockAll(): void {
    this.full = true;
    for (const turn of [...this.waiting.values()].flat()) this.block(turn);
  }

  private block(turn: Turn): void {
    if (turn.blocked) return;
    turn.blocked = true;
    this.blockedCount += 1;
    this.events?.waitingChanged(this.blockedCount);
  }

  private dequeued(turn: Turn): void {
    this.waitingCount -= 1;
    if (!turn.blocked) return;
    this.blockedCount -= 1;
    this.events?.waitingChanged(this.blockedCount);
  }
}
