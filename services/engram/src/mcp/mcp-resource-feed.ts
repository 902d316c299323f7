import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import { currentNamespace } from '../auth/request-context';
import { EngramEvent } from '../events/engram-event';
import { EventBus } from '../events/event-bus';

type Listener = (event: ServerEvent) => void;

/** Resources whose content every memory write changes. */
const STORE_WIDE_URIS = ['memory://stats', 'memory://tags'];

/**
 * Resource-update notifications for 2026-07-28 clients (`subscriptions/listen` with resource
 * subscriptions), fed by the event bus, so a write made by any process (with Redis) reaches every open
 * stream. A listener receives only the changes of the namespace it subscribed in, which the request
 * context tells at the moment the SDK subscribes a new stream.
 */
@Injectable()
export class McpResourceFeed implements ServerEventBus, OnModuleDestroy {
  private readonly listeners = new Map<Listener, string>();
  private stopEvents: (() => void) | undefined;

  constructor(private readonly events: EventBus) {}

  subscribe(listener: Listener): () => void {
    this.listeners.set(listener, currentNamespace());
    this.stopEvents ??= this.events.subscribe((event) => this.deliver(event));
    return () => this.listeners.delete(listener);
  }

  /** Part of the SDK's bus contract (its `notify` helpers); Engram publishes per namespace instead. */
  publish(event: ServerEvent): void {
    for (const listener of this.listeners.keys()) listener(event);
  }

  onModuleDestroy(): void {
    this.stopEvents?.();
  }

  private deliver(event: EngramEvent): void {
    const uris = changedUris(event);
    if (uris.length === 0) return;
    for (const [listener, namespace] of this.listeners) {
      if (namespace !== event.namespace) continue;
      for (const uri of uris) listener({ kind: 'resource_updated', uri });
    }
  }
}

function changedUris(event: EngramEvent): string[] {
  if (!['memory_created', 'memory_updated', 'memory_deleted'].includes(event.type)) return [];
  const hashes = [event.payload.content_hash, event.payload.previous_hash].filter((hash) => typeof hash === 'string');
  return [...STORE_WIDE_URIS, ...hashes.map((hash) => `memory://${hash}`)];
}
