import { AppConfig } from '../config/config.types';
import { EngramEvent } from './engram-event';
import { LastSeen } from './event-cursor';
import { EventRing, Replay } from './event-ring';

/** What the replay windows keep (ENGRAM_EVENTS_RING_SIZE, ENGRAM_EVENTS_RING_TOTAL). */
export interface ReplayBounds {
  /** The newest events each namespace keeps; 0 keeps none. */
  perNamespace: number;
  /**
   * Events kept across every namespace, a window counting as at least SMALLEST_WINDOW: past it, the windows
   * of the namespaces idle longest are dropped.
   */
  total: number;
}

/**
 * What a window with fewer events counts as against the total. A Redis stream of one entry takes 4.7 KB,
 * what ten preview-sized events take (0.4-0.5 KB each), so many near-empty windows cannot outgrow the bound.
 */
export const SMALLEST_WINDOW = 10;

/** What a window of `size` events counts as against the total. */
export function windowCharge(size: number): number {
  return size === 0 ? 0 : Math.max(size, SMALLEST_WINDOW);
}

export function replayBounds({ events }: AppConfig): ReplayBounds {
  return { perNamespace: events.ringSize, total: events.ringTotal };
}

/**
 * How many dropped windows are remembered (namespace and the newest id it held), so that their clients are
 * told what they lost. Each costs a name and a number, far less than an event.
 */
export function droppedRemembered({ total }: ReplayBounds): number {
  return Math.max(total, 1000);
}

/**
 * The replays of several namespaces as one, complete when every one is: their events in the order they
 * were published (`placeOf`), which their ids, each namespace numbering its own, do not give.
 */
export function mergeReplays(replays: Replay[], placeOf: (event: EngramEvent) => number): Replay {
  return {
    events: replays.flatMap((replay) => replay.events).sort((a, b) => placeOf(a) - placeOf(b)),
    complete: replays.every((replay) => replay.complete),
  };
}

/**
 * The replay window of each namespace in this process: its own newest events, so one tenant's burst never
 * pushes another's events out, and a replay (and its `replay_incomplete`, `oldest_kept_id`) shows only the
 * namespaces read. Memory stays bounded however many namespaces there are: past `total` events (a
 * window counting as at least SMALLEST_WINDOW), whole windows go, those of the namespaces idle longest
 * first; their clients are then told that they missed events. The window just written to is never
 * dropped, so a namespace's newest events are always kept however busy the others are.
 */
export class ReplayWindows {
  /** By last activity, the least recent first (a Map keeps the order of insertion). */
  private readonly windows = new Map<string, EventRing>();
  /** Namespaces whose window was dropped, with the newest id it held; the oldest drop first. */
  private readonly dropped = new Map<string, number>();
  /** The newest id of a dropped window no longer remembered: a namespace with no record lost nothing newer. */
  private forgottenUpTo = 0;
  private keptEvents = 0;
  /** The order kept events arrived in, which is the order they were published (see mergeReplays). */
  private readonly arrivals = new WeakMap<EngramEvent, number>();
  private arrived = 0;
  /** What the windows count as against the total (see windowCharge). */
  private charged = 0;

  constructor(private readonly bounds: ReplayBounds) {}

  /** What is held: events kept across every namespace, windows, and dropped windows remembered. */
  get footprint(): { events: number; windows: number; dropped: number } {
    return { events: this.keptEvents, windows: this.windows.size, dropped: this.dropped.size };
  }

  /** Events must arrive in increasing id order (the bus guarantees it). */
  add(event: EngramEvent): void {
    const { namespace } = event;
    if (this.bounds.perNamespace === 0) return this.remember(namespace, event.id);
    const window = this.windows.get(namespace) ?? new EventRing(this.bounds.perNamespace);
    this.windows.delete(namespace);
    this.windows.set(namespace, window);
    this.keptEvents -= window.size;
    this.charged -= windowCharge(window.size);
    this.arrivals.set(event, ++this.arrived);
    window.add(event);
    this.keptEvents += window.size;
    this.charged += windowCharge(window.size);
    this.dropIdle(namespace);
  }

  /** Events of `namespace` were lost where `id` was handed out (see LostEvents): a replay from before it is incomplete. */
  markLost(namespace: string, id: number): void {
    this.remember(namespace, Math.max(id, this.dropped.get(namespace) ?? 0));
  }

  /** The kept events of each namespace of `seen` after its id there, oldest first; complete when none of theirs was lost. */
  after(seen: LastSeen): Replay {
    const replays = [...seen].map(([namespace, lastId]) => this.replayOf(namespace, lastId));
    return mergeReplays(replays, (event) => this.arrivals.get(event)!);
  }

  /**
   * The newest id of `namespace` kept, or held by its dropped window (0 for none known): a replay from it
   * misses nothing of its kept since, and tells of no loss before.
   */
  newestId(namespace: string): number {
    return this.windows.get(namespace)?.newestId ?? this.dropped.get(namespace) ?? 0;
  }

  private replayOf(namespace: string, lastId: number): Replay {
    const replay = this.windows.get(namespace)?.after(lastId) ?? { events: [], complete: true };
    const lostUpTo = this.dropped.get(namespace) ?? this.forgottenUpTo;
    return { events: replay.events, complete: replay.complete && lastId >= lostUpTo };
  }

  private dropIdle(active: string): void {
    for (const [namespace, window] of this.windows) {
      if (this.charged <= this.bounds.total || namespace === active) return;
      this.windows.delete(namespace);
      this.keptEvents -= window.size;
      this.charged -= windowCharge(window.size);
      this.remember(namespace, window.newestId);
    }
  }

  private remember(namespace: string, lostUpTo: number): void {
    this.dropped.delete(namespace);
    this.dropped.set(namespace, lostUpTo);
    for (const [oldest, id] of this.dropped) {
      if (this.dropped.size <= droppedRemembered(this.bounds)) return;
      this.dropped.delete(oldest);
      this.forgottenUpTo = Math.max(this.forgottenUpTo, id);
    }
  }
}
