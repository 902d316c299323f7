import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { EngramMetrics } from '../metrics/engram-metrics';
import { EngramEvent, EngramEventType } from './engram-event';
import { LastSeen } from './event-cursor';
import { EVENT_RELAY, EventListener, EventRelay, LossListener } from './event-relay';
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
  private readonly lossListeners = new Set<LossListener>();
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

  /**
   * Returns the function that unsubscribes. `onLost` learns where events were dropped unpublished (see
   * LostEvents), for listeners that must tell their clients.
   */
  subscribe(listener: EventListener, onLost?: LossListener): () => void {
    this.listeners.add(listener);
    if (onLost) this.lossListeners.add(onLost);
    this.listening ??= Promise.resolve(
      this.relay.listen(
        (event) => callEach(this.listeners, event),
        (lost) => callEach(this.lossListeners, lost),
      ),
    );
    return () => {
      this.listeners.delete(listener);
      if (onLost) this.lossListeners.delete(onLost);
    };
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
}

/** Calls each listener with `value`: a broken subscriber must not fail the write that raised it, nor starve the others. */
function callEach<T>(listeners: Iterable<(value: T) => void>, value: T): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch {
      // Swallowed on purpose (see above); the listener's own logs say what broke.
    }
  }
}
