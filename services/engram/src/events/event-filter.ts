import { EngramEvent, EngramEventType, STORE_WIDE } from './engram-event';

/** What one SSE client asked to receive; an absent part lets everything through. */
export interface EventFilter {
  /** The caller's namespace: a stream never carries another namespace's events. */
  namespace: string;
  /** Whether the caller may see events about the whole store (a credential not bound to a namespace). */
  wholeStore?: boolean;
  types?: ReadonlySet<EngramEventType>;
  /** Events carrying any of these tags; events without tags (jobs) do not pass a tag filter. */
  tags?: ReadonlySet<string>;
}

export function matchesFilter(event: EngramEvent, filter: EventFilter): boolean {
  if (event.namespace === STORE_WIDE) {
    if (!filter.wholeStore) return false;
  } else if (event.namespace !== filter.namespace) return false;
  if (filter.types && !filter.types.has(event.type)) return false;
  if (!filter.tags) return true;
  const tags = event.payload.tags;
  return Array.isArray(tags) && tags.some((tag) => filter.tags!.has(tag as string));
}

/**
 * The replay windows a stream with `filter` reads: its namespace's, and the store-wide one when it may see
 * the whole store (a credential bound to no namespace), merged in the order published. Never another's, so
 * what a replay reveals (its events, `replay_incomplete`, `oldest_kept_id`) is the caller's own.
 */
export function replayedNamespaces(filter: EventFilter): string[] {
  return filter.wholeStore ? [filter.namespace, STORE_WIDE] : [filter.namespace];
}
