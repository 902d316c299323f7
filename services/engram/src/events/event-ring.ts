import { EngramEvent } from './engram-event';

export interface Replay {
  events: EngramEvent[];
  /** False when events after the client's last id have already left the ring. */
  complete: boolean;
}

/**
 * The newest `capacity` events in id order, for Last-Event-ID replay; older ones are forgotten. Its slots
 * grow with what it holds, so a namespace with three events costs three, however large the capacity.
 */
export class EventRing {
  private readonly slots: EngramEvent[] = [];
  private start = 0;
  /** The newest id forgotten: a replay from an older id misses events. */
  lastEvictedId = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.slots.length;
  }

  /** Events must arrive in increasing id order (the bus guarantees it). */
  add(event: EngramEvent): void {
    if (this.capacity === 0) {
      this.lastEvictedId = event.id;
      return;
    }
    if (this.slots.length < this.capacity) {
      this.slots.push(event);
      return;
    }
    this.lastEvictedId = this.slots[this.start].id;
    this.slots[this.start] = event;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Every kept event with an id above `lastId`, oldest first. */
  after(lastId: number): Replay {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.at(middle).id <= lastId) low = middle + 1;
      else high = middle;
    }
    const events: EngramEvent[] = [];
    for (let i = low; i < this.size; i++) events.push(this.at(i));
    return { events, complete: lastId >= this.lastEvictedId };
  }

  /** The newest id kept (0 when none is). */
  get newestId(): number {
    return this.size === 0 ? 0 : this.at(this.size - 1).id;
  }

  private at(index: number): EngramEvent {
    return this.slots[(this.start + index) % this.slots.length];
  }
}
