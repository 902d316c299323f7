import { EngramEvent } from './engram-event';

export interface Replay {
  events: EngramEvent[];
  /** False when events after the client's last id have already left the ring. */
  complete: boolean;
}

/** The newest `capacity` events in id order, for Last-Event-ID replay; older ones are forgotten. */
export class EventRing {
  private readonly slots: (EngramEvent | undefined)[];
  private start = 0;
  private size = 0;
  private lastEvictedId = 0;

  constructor(private readonly capacity: number) {
    this.slots = new Array<EngramEvent | undefined>(capacity);
  }

  /** Events must arrive in increasing id order (the bus guarantees it). */
  add(event: EngramEvent): void {
    if (this.capacity === 0) {
      this.lastEvictedId = event.id;
      return;
    }
    if (this.size === this.capacity) {
      this.lastEvictedId = this.at(0).id;
      this.start = (this.start + 1) % this.capacity;
      this.size--;
    }
    this.slots[(this.start + this.size) % this.capacity] = event;
    this.size++;
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

  private at(index: number): EngramEvent {
    return this.slots[(this.start + index) % this.capacity]!;
  }
}
