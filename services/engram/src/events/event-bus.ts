import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { EngramMetrics } from '../metrics/engram-metrics';
import { EngramEvent, EngramEventType } from './engram-event';
import { LastSeen } from './event-cursor';
import { EVENT_RELAY, EventListener, EventRelay } from './event-relay';
import { Replay } from './event-ring';

export type { EventListener } from './event-relay';

/**
 * Where every write path announces its changes, once per change. Listeners (the SSE stream) receive the
 * events of every process when the relay carries them between processes (Redis, PostgreSQL), of this one otherwise; a listener that throws never
 * affects the writer or the other listeners.
 */
@Injectable()
export class EventBus implements OnApplicationShutdown {
  private readonly listeners = new Set<EventListener>();
  private listening: Promise<void> | undefined;

  constructor(
    @Inject(EVENT_RELAY) private readonly relay: EventRelay,
    @Optional() private readonly metrics?: EngramMetrics,
  ) {}

  /**
   * Announces a change. Ids are handed out by the relay (at once in process, by Redis across processes),
   * which is why nothing is returned: subscribers see the event with its id. The namespace is always
   * named (STORE_WIDE for the whole store's): a default would hand an event to the default namespace's streams.
   */
  publish(type: EngramEventType, payload: Record<string, unknown>, namespace: string): void {
    this.metrics?.eventsPublished.inc({ type });
    this.relay.send({ type, timestamp: new Date().toISOString(), namespace, payload });
  }

  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    this.listening ??= Promise.resolve(this.relay.listen((event) => this.deliver(event)));
    return () => this.listeners.delete(listener);
  }

  /** Resolves once subscribers receive every process's events (the relay's subscription or LISTEN is active). */
  async ready(): Promise<void> {
    await this.listening;
  }

  /** True when the relay keeps replay windows every process shares (Redis, PostgreSQL). */
  get sharesHistory(): boolean {
    return this.relay.history !== undefined;
  }

  /** The shared windows' events after what a client has `seen`, when the relay keeps them (see EventRelay.history). */
  history(seen: LastSeen): Promise<Replay | undefined> {
    return this.relay.history?.(seen) ?? Promise.resolve(undefined);
  }

  /** The shared windows' newest events of `namespaces`, when the relay keeps them (see EventRelay.newest). */
  newest(namespaces: readonly string[], count: number, before?: LastSeen): Promise<EngramEvent[] | undefined> {
    return this.relay.newest?.(namespaces, count, before) ?? Promise.resolve(undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.close();
  }

  private deliver(event: EngramEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber must not fail the write that raised the event.
      }
    }
  }
}
