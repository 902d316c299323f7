/** A judge slot held: given back once its request has ended. */
export interface Slot {
  giveBack(): void;
}

/**
 * Where JudgeSlots gets its slots: this process's own count (LocalSlotGate), or leases every process
 * shares (LeasedSlotGate). JudgeSlots asks for one slot at a time and decides who gets it.
 */
export interface SlotGate {
  /** A slot at once if one is free here and now, without asking anyone; else undefined. */
  takeNow(): Slot | undefined;
  /**
   * A slot once one is free; undefined once `wanted` says no judgement waits any more. Throws when the
   * slots cannot be asked for.
   */
  take(wanted: () => boolean): Promise<Slot | undefined>;
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

  async take(wanted: () => boolean): Promise<Slot | undefined> {
    for (;;) {
      const slot = this.takeNow();
      if (slot) return slot;
      await new Promise<void>((resolve) => (this.wake = resolve));
      if (!wanted()) return undefined;
    }
  }

  private giveBack(): void {
    this.free += 1;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
