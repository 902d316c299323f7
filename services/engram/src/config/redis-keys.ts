/**
 * The name of everything Engram keeps in Redis, declared once: each starts with the deployment's prefix
 * (ENGRAM_REDIS_PREFIX, or one derived from the store's id), so deployments sharing a Redis never see
 * each other's events, event ids, jobs or cancellations.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /**
   * Pub/sub channel every process publishes events to and listens on, messages `<place> <id> <draft>`. Not
   * legacyEventsChannel, where replicas of the builds before would take them for malformed.
   */
  get eventsChannel(): string {
    return `${this.prefix}:events:v2`;
  }

  /**
   * The channel of the builds with one event id sequence (before ids were per namespace), messages
   * `<id> <draft>`: read, so that this build delivers what their replicas publish during a rolling upgrade,
   * and written to while ENGRAM_EVENTS_LEGACY_CHANNEL is on, so that theirs deliver what it publishes.
   */
  get legacyEventsChannel(): string {
    return `${this.prefix}:events`;
  }

  /**
   * The one id sequence of those builds. Their ids are places in eventsOrder: this build keeps the two level
   * while ENGRAM_EVENTS_LEGACY_CHANNEL is on, so both builds' events fall in one publish order.
   */
  get legacyLastEventId(): string {
    return `${this.prefix}:events:last-id`;
  }

  /** The newest id a replica of those builds handed out, which every namespace's next id goes past. */
  get legacyIdFloor(): string {
    return `${this.prefix}:events:legacy-floor`;
  }

  /**
   * The deployment's publish order: the last place handed out (max(last + 1, now in µs)), never shown to
   * clients, by which a process cut off from pub/sub finds what it missed.
   */
  get eventsOrder(): string {
    return `${this.prefix}:events:order`;
  }

  /** The last event id handed out in one namespace (each numbers its own events: see events/event-ids.ts). */
  lastEventId(namespace: string): string {
    return `${this.prefix}:events:last-id:${namespace}`;
  }

  /** One namespace's replay window: the capped stream of its recent events every api replica replays from. */
  eventsLog(namespace: string): string {
    return `${this.eventsLogPrefix}${namespace}`;
  }

  /** What every namespace's window key starts with (the publish script drops idle windows by name). */
  get eventsLogPrefix(): string {
    return `${this.prefix}:events:log:`;
  }

  /** The namespaces with a replay window, scored by their newest event's place in eventsOrder (the least recently active first). */
  get eventsWindows(): string {
    return `${this.prefix}:events:windows`;
  }

  /** Events kept across every window (a small one counting as SMALLEST_WINDOW), held against ENGRAM_EVENTS_RING_TOTAL. */
  get eventsKept(): string {
    return `${this.prefix}:events:kept`;
  }

  /**
   * Namespaces whose window was dropped whole, scored by the newest id it held, or which lost events dropped
   * unpublished, scored by the id told in their stead.
   */
  get eventsDropped(): string {
    return `${this.prefix}:events:dropped`;
  }

  /** The newest id of a dropped window no longer remembered in eventsDropped. */
  get eventsForgotten(): string {
    return `${this.prefix}:events:forgotten`;
  }

  /**
   * The newest losses of events dropped unpublished (a relay's queue overflowed while Redis was away), a capped
   * stream by place, each `i` the id told and `e` its draft: a process cut off from pub/sub catches up on them.
   */
  get eventsLosses(): string {
    return `${this.prefix}:events:losses`;
  }

  /**
   * The sequence numbers of one relay instance's publishes that ran and may still be sent again (their answer
   * not yet seen): a publish resent after its connection died runs once. Expires a day after its last publish.
   */
  eventsSent(sender: string): string {
    return `${this.prefix}:events:sent:${sender}`;
  }

  /** Set while a running job is asked to stop. */
  jobCancel(jobId: string): string {
    return `${this.prefix}:job-cancel:${jobId}`;
  }

  /** One namespace's finished jobs kept (`*`: whole-store jobs), scored by when they ended (jobs/finished-job-index.ts). */
  finishedJobs(namespace: string): string {
    return `${this.prefix}:jobs:finished:${namespace}`;
  }

  /** Recent failed-credential times of one budget and one hashed client key (auth/redis-failure-limiter.ts). */
  authFailures(budget: string, keyDigest: string): string {
    return `${this.prefix}:auth-failures:${budget}:${keyDigest}`;
  }

  /**
   * One shared semaphore (conflicts/redis-slot-leases.ts): its line of tickets scored by place, the same
   * tickets scored by when their lease runs out, the last place handed out, its members (processes)
   * scored by when their lease runs out, and each member's limit.
   */
  slotLeases(semaphore: string): { line: string; leases: string; places: string; members: string; limits: string } {
    const base = `${this.prefix}:slots:${semaphore}`;
    return {
      line: `${base}:line`,
      leases: `${base}:leases`,
      places: `${base}:places`,
      members: `${base}:members`,
      limits: `${base}:limits`,
    };
  }

  /** BullMQ's key prefix: its queues live under `<prefix>:bull:<queue>:…`. */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }
}

/** The prefix of a store without ENGRAM_REDIS_PREFIX: 64 bits of its random id are unique enough. */
export function defaultRedisPrefix(storeId: string): string {
  return `engram:${storeId.slice(0, 16)}`;
}
