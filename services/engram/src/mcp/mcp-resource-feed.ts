import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import { currentNamespace } from '../auth/request-context';
import { EngramEvent } from '../events/engram-event';
import { EventBus } from '../events/event-bus';
import { Loss } from '../events/event-relay';
import { recentCount, RECENT_URI_PREFIX } from './mcp-resources';

type Listener = (event: ServerEvent) => void;

/** Resources whose content every memory write changes. */
const STORE_WIDE_URIS = ['memory://stats', 'memory://tags'];

/** What the feed knows of a listener: the namespace it subscribed in, and the resource URIs it names. */
interface Subscription {
  namespace: string;
  uris: () => Iterable<string>;
}

/** The resource URIs of the `subscriptions/listen` request whose stream is being opened (see whileOpening). */
const opening = new AsyncLocalStorage<readonly string[]>();

/**
 * Resource-update notifications for 2026-07-28 clients (`subscriptions/listen` with resource
 * subscriptions), fed by the event bus, so a write made by any process (with Redis or PostgreSQL) reaches
 * every open stream. A listener receives only the changes of the namespace it subscribed in, which the
 * request context tells at the moment the SDK subscribes a new stream. Where events of that namespace were
 * lost unpublished (see Loss), nobody knows what changed: its listeners are told that everything they
 * may hold is stale instead.
 */
@Injectable()
export class McpResourceFeed implements ServerEventBus, OnModuleDestroy {
  private readonly listeners = new Map<Listener, Subscription>();
  private stopEvents: (() => void) | undefined;

  constructor(private readonly events: EventBus) {}

  /**
   * Runs `open`, which opens a listen stream naming `uris`: the SDK subscribes that stream's listener
   * without telling which URIs it asked for, and a loss must name them.
   */
  whileOpening<T>(uris: readonly string[], open: () => T): T {
    return opening.run(uris, open);
  }

  /**
   * `uris` answers the resource URIs the listener's streams name; by default those of the stream being
   * opened (whileOpening). The SDK filters every notification by them again.
   */
  subscribe(listener: Listener, uris?: () => Iterable<string>): () => void {
    const named = opening.getStore() ?? [];
    this.listeners.set(listener, { namespace: currentNamespace(), uris: uris ?? (() => named) });
    this.stopEvents ??= this.events.subscribe(
      (event) => this.deliver(event),
      (lost) => this.tellLoss(lost),
    );
    return () => this.listeners.delete(listener);
  }

  /** Part of the SDK's bus contract (its `notify` helpers); Engram publishes per namespace instead. */
  publish(event: ServerEvent): void {
    for (const listener of this.listeners.keys()) listener(event);
  }

  onModuleDestroy(): void {
    this.stopEvents?.();
  }

  /**
   * A memory write changes the store-wide resources and the memory itself, and may change the newest
   * memories: each listener of its namespace naming a `memory://recent/{n}` is told of that one too.
   */
  private deliver(event: EngramEvent): void {
    const changed = changedUris(event);
    if (changed.length === 0) return;
    for (const [listener, { namespace, uris }] of this.listeners) {
      if (namespace !== event.namespace) continue;
      for (const uri of [...changed, ...recentUris(uris())]) listener({ kind: 'resource_updated', uri });
    }
  }

  /**
   * The lost events may have changed any memory of their namespace: its listeners are told that the list
   * may have changed and that each store-wide resource and each memory:// resource they named was updated,
   * so that a client re-reads what it holds. Other namespaces' listeners learn nothing of it; a loss
   * everywhere (LostEverywhere) reaches every listener.
   */
  private tellLoss(lost: Loss): void {
    for (const [listener, { namespace, uris }] of this.listeners) {
      if (!lost.everywhere && namespace !== lost.namespace) continue;
      listener({ kind: 'resources_list_changed' });
      const named = [...uris()].filter((uri) => uri.startsWith('memory://'));
      for (const uri of new Set([...STORE_WIDE_URIS, ...named])) listener({ kind: 'resource_updated', uri });
    }
  }
}

function changedUris(event: EngramEvent): string[] {
  if (!['memory_created', 'memory_updated', 'memory_deleted'].includes(event.type)) return [];
  const hashes = [event.payload.content_hash, event.payload.previous_hash].filter((hash) => typeof hash === 'string');
  return [...STORE_WIDE_URIS, ...hashes.map((hash) => `memory://${hash}`)];
}

/** The `memory://recent/{n}` URIs among `uris` that name a list the resource serves. */
function recentUris(uris: Iterable<string>): string[] {
  return [...uris].filter(
    (uri) => uri.startsWith(RECENT_URI_PREFIX) && recentCount(uri.slice(RECENT_URI_PREFIX.length)) !== undefined,
  );
}

/** The resource URIs a `subscriptions/listen` request's params name (nothing for params of another shape). */
export function listenedResourceUris(params: unknown): string[] {
  const notifications = (params as { notifications?: { resourceSubscriptions?: unknown } } | undefined)?.notifications;
  const uris = notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? uris.filter((uri): uri is string => typeof uri === 'string') : [];
}
