import { Injectable } from '@nestjs/common';
import { EngramEvent, EngramEventType } from './engram-event';

export type EventListener = (event: EngramEvent) => void;

/**
 * Where every write path announces its changes, once per change. Listeners (the SSE stream, metrics)
 * subscribe here; a listener that throws never affects the writer or the other listeners.
 */
@Injectable()
export class EventBus {
  private lastId = 0;
  private readonly listeners = new Set<EventListener>();

  publish(type: EngramEventType, payload: Record<string, unknown>, namespace = 'default'): EngramEvent {
    const event: EngramEvent = { id: ++this.lastId, type, timestamp: new Date().toISOString(), namespace, payload };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber must not fail the write that raised the event.
      }
    }
    return event;
  }

  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
