/** A judge slot held: given back once its request has ended. */
export interface Slot {
  giveBack(): void;
}

/** What a gate asking for a slot tells, and asks, the judgements it asks for. */
export interface SlotWait {
  /** Whether a judgement still waits for the slot asked for. */
  wanted(): boolean;
  /** Told whenever every slot was found held: the judgements waiting now wait for one to come free. */
  refused(): void;
}

/**
 * Where JudgeSlots gets its slots: this process's own count (LocalSlotGate), or leases every process
 * shares (LeasedSlotGate). JudgeSlots asks for one slot at a time and decides who gets it.
 */
export interface SlotGate {
  /** A slot at once if one is free here and now, without asking anyone; else undefined. */
  takeNow(): Slot | undefined;
  /**
   * A slot once one is free; undefined once `wait.wanted` says no judgement waits any more. Throws when
   * the slots cannot be asked for.
   */
  take(wait: SlotWait): Promise<Slot | undefined>;
}

/** `size` slots counted in this process alone (JudgeSlots' own, for a process that judges alone). */
export class LocalSlotGate implements SlotGate {
  private free: number;
  private wake: (() => void) | undefined;

  constructor(size: number) {
    this.free = size;
  }

  takeNow(): Slot | undefined {
    if (this.free === 0) return undefined;
    this.free -= 1;
    return { giveBack: () => this.giveBack() };
  }

  async take(wait: SlotWait): Promise<Slot | undefined> {
    for (;;) {
      const slot = this.takeNow();
      if (slot) return slot;
      wait.refused();
      await new Promise<void>((resolve) => (this.wake = resolve));
      if (!wait.wanted()) return undefined;
    }
  }

  private giveBack(): void {
    this.free += 1;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
