import { EngramEvent } from './engram-event';

/** The newest id a client has seen in each namespace it reads: each namespace numbers its events itself. */
export type LastSeen = ReadonlyMap<string, number>;

/** The same last id in each of `namespaces` (0: a replay of everything kept). */
export function seenUpTo(lastId: number, namespaces: readonly string[]): LastSeen {
  return new Map(namespaces.map((namespace) => [namespace, lastId]));
}

/**
 * Where a stream stands in each namespace it reads (its own, and the store-wide one for a credential bound
 * to none), as its `id:` lines and Last-Event-ID carry it: the ids in that order joined by '-'
 * (`1765000000000123-1764999000000456`), a single id for a stream of one namespace. Two ids because the
 * namespaces' sequences are independent: no single number can say how far a stream got in both. A single
 * id resuming a stream of two applies to both (ids from before they were per namespace, when one sequence
 * numbered every event); a second id resuming a stream of one namespace is ignored.
 */
export class StreamCursor {
  private readonly ids: number[];

  constructor(
    private readonly namespaces: readonly string[],
    resumeFrom: readonly number[] = [0],
  ) {
    this.ids = namespaces.map((_, i) => resumeFrom[i] ?? resumeFrom[0]);
  }

  get lastSeen(): LastSeen {
    return new Map(this.namespaces.map((namespace, i) => [namespace, this.ids[i]]));
  }

  /**
   * Moves past `event` (or a loss told at an id, see LostEvents) when it is of one of the stream's namespaces
   * and newer than seen there; false otherwise.
   */
  advance(event: Pick<EngramEvent, 'namespace' | 'id'>): boolean {
    const i = this.namespaces.indexOf(event.namespace);
    if (i < 0 || event.id <= this.ids[i]) return false;
    this.ids[i] = event.id;
    return true;
  }

  /** The SSE `id:` line's text, what Last-Event-ID sends back. */
  toString(): string {
    return this.ids.join('-');
  }

  /** In a JSON answer (`last_event_id`): the number for one namespace, the text for two. */
  get value(): number | string {
    return this.ids.length === 1 ? this.ids[0] : this.toString();
  }
}
