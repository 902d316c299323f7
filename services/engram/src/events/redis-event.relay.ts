import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import { EngramEvent, EventDraft, keptForReplay } from './engram-event';
import { LastSeen } from './event-cursor';
import { EventListener, EventRelay, LossListener } from './event-relay';
import { Replay } from './event-ring';
import { readSharedWindows } from './shared-windows-read';
import { LogEntry, lossDraft, parseLogEntry, parseLogMessage, parsePublished, Published } from './published-event';
import { droppedRemembered, mergeReplays, ReplayBounds, SMALLEST_WINDOW } from './replay-windows';
import { QueuedSend, SEND_QUEUE_LIMIT, SendQueue } from './send-queue';
import { EngramMetrics } from '../metrics/engram-metrics';

/**
 * Hands out the event's id in its namespace (the rule of event-ids.ts: max(last + 1, now in µs) over that
 * namespace's own sequence, and past every event of it kept or dropped) and its place in the deployment's
 * publish order (the same rule over every event, never shown to clients: by it a process cut off from
 * pub/sub finds what it missed), appends the event to its namespace's capped replay window and publishes
 * it, in one atomic step, so the order of ids is the order every subscriber receives and every window holds.
 * A namespace's last id expires once every replica's clock has passed it (by ARGV[10] ms): it no longer holds
 * back the next id then, so Redis keeps one only for the namespaces active lately. Past the total the
 * windows may keep, those of the namespaces idle longest are dropped whole and remembered with the newest id
 * they held (the oldest records forgotten past ARGV[8], the newest forgotten id kept). `%.0f` keeps the
 * 16-digit numbers exact (Lua's tostring would switch to exponent notation). The windows dropped are named
 * from ARGV[7]: they share the deployment's prefix, so a `{tag}` in it keeps them in the script's cluster
 * slot. KEYS[1] publish order, KEYS[2] this namespace's window, KEYS[3] windows by activity (scored by
 * place), KEYS[4] events kept, KEYS[5] dropped windows, KEYS[6] newest forgotten id, KEYS[7] this
 * namespace's last id, KEYS[8] the one-sequence builds' last id, KEYS[9] their floor, KEYS[10] the losses
 * kept; ARGV[1] publisher's
 * clock in µs; ARGV[2] channel; ARGV[3] the draft as JSON; ARGV[4] events a window keeps (0: this event is
 * not kept); ARGV[5] events kept in all; ARGV[6] the namespace; ARGV[7] window key prefix; ARGV[8] dropped
 * windows remembered; ARGV[9] what a smaller window counts as (see windowCharge); ARGV[10] how long a last
 * id outlives the clock, in ms; ARGV[11] the one-sequence builds' channel, or '' (see below); ARGV[12] 0 for
 * an event, or for a loss (ARGV[3] its draft, see LostEvents) the losses KEYS[10] keeps.
 *
 * A loss takes an id of its namespace's sequence and a place like an event, is remembered in KEYS[5] as a
 * window dropped up to that id (a replay from before it is incomplete), kept in KEYS[10] for processes
 * catching up, and published on this build's channel only.
 *
 * Beside replicas of the builds with one id sequence (a rolling upgrade), whose ids are places in the same
 * order: their last id (KEYS[8]) past the last place here means one of them published since, and its id
 * becomes a floor (KEYS[9]) every namespace's next id goes past, so an event of theirs delivered under its
 * own id is never followed by a lower one in its namespace. With ARGV[11], their channel, the place is also
 * their last id, so their next id comes after this event, and the event is published there in their
 * message, `<id> <draft>`, its place as the id (their replicas deliver ids of one sequence).
 */
const PUBLISH_SCRIPT = `
local function charge(window)
  local size = redis.call('XLEN', window)
  if size == 0 then return 0 end
  return math.max(size, tonumber(ARGV[9]))
end
local function newestId(window)
  local newest = redis.call('XREVRANGE', window, '+', '-', 'COUNT', 1)[1]
  if newest then return tonumber(string.match(newest[1], '^%d+')) end
  return 0
end
local function forgetDropped()
  while redis.call('ZCARD', KEYS[5]) > tonumber(ARGV[8]) do
    local forgotten = redis.call('ZPOPMIN', KEYS[5])[2]
    if tonumber(forgotten) > tonumber(redis.call('GET', KEYS[6]) or '0') then redis.call('SET', KEYS[6], forgotten) end
  end
end
local now = tonumber(ARGV[1])
local function keptFor(id)
  return math.floor((id - now) / 1000) + tonumber(ARGV[10])
end
local placed = tonumber(redis.call('GET', KEYS[1]) or '0')
local legacy = tonumber(redis.call('GET', KEYS[8]) or '0')
if legacy > placed and keptFor(legacy) > 0 then
  redis.call('SET', KEYS[9], string.format('%.0f', legacy), 'PX', string.format('%.0f', keptFor(legacy)))
end
local order = math.max(placed, legacy)
local busiest = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2]
if busiest then order = math.max(order, tonumber(busiest)) end
local place = string.format('%.0f', math.max(order + 1, now))
local last = math.max(tonumber(redis.call('GET', KEYS[7]) or '0'), newestId(KEYS[2]))
last = math.max(last, tonumber(redis.call('ZSCORE', KEYS[5], ARGV[6]) or '0'))
last = math.max(last, tonumber(redis.call('GET', KEYS[9]) or '0'))
local id = math.max(last + 1, now)
local text = string.format('%.0f', id)
redis.call('SET', KEYS[1], place)
if ARGV[11] ~= '' then redis.call('SET', KEYS[8], place) end
redis.call('SET', KEYS[7], text, 'PX', string.format('%.0f', keptFor(id)))
if tonumber(ARGV[12]) > 0 then
  redis.call('ZADD', KEYS[5], text, ARGV[6])
  forgetDropped()
  redis.call('XADD', KEYS[10], 'MAXLEN', ARGV[12], place .. '-0', 'i', text, 'e', ARGV[3])
elseif tonumber(ARGV[4]) > 0 then
  local before = charge(KEYS[2])
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], text .. '-0', 'e', ARGV[3], 'o', place)
  redis.call('ZADD', KEYS[3], place, ARGV[6])
  local kept = redis.call('INCRBY', KEYS[4], charge(KEYS[2]) - before)
  while kept > tonumber(ARGV[5]) do
    local idle = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    if idle == ARGV[6] then
      -- only this window is left: the count had drifted (keys removed by hand)
      redis.call('SET', KEYS[4], charge(KEYS[2]))
      break
    end
    local window = ARGV[7] .. idle
    local held = newestId(window)
    kept = redis.call('DECRBY', KEYS[4], charge(window))
    redis.call('DEL', window)
    redis.call('ZREM', KEYS[3], idle)
    redis.call('ZADD', KEYS[5], string.format('%.0f', held), idle)
  end
  forgetDropped()
end
redis.call('PUBLISH', ARGV[2], place .. ' ' .. text .. ' ' .. ARGV[3])
if ARGV[11] ~= '' and tonumber(ARGV[12]) == 0 then redis.call('PUBLISH', ARGV[11], place .. ' ' .. ARGV[3]) end
return text
`;

/**
 * How long Redis keeps a namespace's last id once the publishers' clock has passed it: a replica whose clock
 * lags by less still never hands out an id twice, and Redis holds last ids only of namespaces active lately.
 */
const LAST_ID_KEPT_PAST_CLOCK_MS = 60 * 60 * 1000;

/**
 * Publishes handed to ioredis whose answer has not come. Only these wait in its queues: while Redis is away
 * (or silently gone, the connection not yet known dead) the rest wait in the relay's bounded queue, where ioredis's
 * own would hold every publish until its retries gave up, then drop them unannounced.
 */
const SENDS_IN_FLIGHT = 100;

/** Losses kept for processes catching up after their subscription was cut (see RedisKeys.eventsLosses). */
const LOSSES_KEPT = 1000;

/**
 * Cross-process events through Redis pub/sub (REDIS_URL): every process publishes here, and each process
 * that has listeners holds one subscription, so each event reaches each process exactly once. Pub/sub keeps
 * nothing, so a process cut off from Redis catches up from the namespaces' capped replay windows when it
 * reconnects; what they trimmed meanwhile (or lost, if Redis restarted without persistence) is gone.
 */
export class RedisEventRelay implements EventRelay {
  private readonly logger = new Logger('Events');
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;
  /** Sends not yet handed to ioredis, at most the queue limit; past it the oldest go and their loss is published. */
  private readonly queue: SendQueue;
  private inFlight = 0;

  constructor(
    private readonly url: string,
    private readonly keys: RedisKeys,
    /** What the shared replay windows keep (ENGRAM_EVENTS_RING_SIZE per namespace, ENGRAM_EVENTS_RING_TOTAL). */
    private readonly bounds: ReplayBounds,
    private readonly options: RedisRelayOptions = {},
  ) {
    this.queue = new SendQueue('Redis', options.queueLimit ?? SEND_QUEUE_LIMIT, options.metrics);
    this.publisher = this.connect('publisher');
    this.publisher.on('ready', () => this.publishQueued());
  }

  /**
   * Publishes `draft` now if Redis answers, else queues it: queued sends are published in the order sent once
   * Redis is back. Past the queue's limit the oldest is dropped, and where it would have been every listening
   * process is told of the loss.
   */
  send(draft: EventDraft): void {
    const { clock = Date.now } = this.options;
    this.queue.push({ draft, nowMicros: clock() * 1000 });
    this.publishQueued();
  }

  /** Sends waiting for Redis (never more than the queue's limit). */
  get queuedSends(): number {
    return this.queue.length;
  }

  /**
   * Hands the losses, then the queued sends, oldest first, to ioredis while Redis answers, up to SENDS_IN_FLIGHT
   * at a time (`inFlight`, all of them when closing): they reach Redis in that order on the one connection.
   */
  private publishQueued(inFlight = SENDS_IN_FLIGHT): void {
    while (this.publisher.status === 'ready' && this.inFlight < inFlight) {
      if (this.queue.hasLosses) {
        this.publishLosses();
        continue;
      }
      const send = this.queue.shift();
      if (!send) return;
      this.track(
        this.publish(send).catch((error) => {
          this.logger.warn({ msg: 'event not published', type: send.draft.type, error: (error as Error).message });
        }),
      );
    }
  }

  /** Each namespace's loss in its place, before every send still queued; kept for the next connection if this one went. */
  private publishLosses(): void {
    const losses = this.queue.takeLosses();
    let unpublished = losses.length;
    for (const [namespace, count] of losses) {
      const published = this.runScript(lossDraft(namespace, count), namespace, 0, LOSSES_KEPT).then(
        () => {
          if (--unpublished === 0) this.queue.lossesStored();
        },
        (error) => {
          if (this.publisher.status !== 'ready') return this.queue.restoreLosses([[namespace, count]]);
          this.logger.warn({ msg: 'event loss not published', namespace, count, error: (error as Error).message });
        },
      );
      this.track(published);
    }
  }

  private track(publishing: Promise<unknown>): void {
    this.inFlight++;
    void publishing.finally(() => {
      this.inFlight--;
      this.publishQueued();
    });
  }

  private publish({ draft, nowMicros }: QueuedSend): Promise<unknown> {
    const windowSize = keptForReplay(draft.type) ? this.bounds.perNamespace : 0;
    return this.runScript(JSON.stringify(draft), draft.namespace, windowSize, 0, nowMicros);
  }

  /** PUBLISH_SCRIPT for an event (`lossesKept` 0) or a loss of `namespace`, its draft `json`. */
  private runScript(
    json: string,
    namespace: string,
    windowSize: number,
    lossesKept: number,
    nowMicros = (this.options.clock ?? Date.now)() * 1000,
  ): Promise<unknown> {
    const { legacyChannel = true } = this.options;
    return this.publisher.eval(
      PUBLISH_SCRIPT,
      10,
      this.keys.eventsOrder,
      this.keys.eventsLog(namespace),
      this.keys.eventsWindows,
      this.keys.eventsKept,
      this.keys.eventsDropped,
      this.keys.eventsForgotten,
      this.keys.lastEventId(namespace),
      this.keys.legacyLastEventId,
      this.keys.legacyIdFloor,
      this.keys.eventsLosses,
      String(nowMicros),
      this.keys.eventsChannel,
      json,
      windowSize,
      this.bounds.total,
      namespace,
      this.keys.eventsLogPrefix,
      droppedRemembered(this.bounds),
      SMALLEST_WINDOW,
      LAST_ID_KEPT_PAST_CLOCK_MS,
      legacyChannel ? this.keys.legacyEventsChannel : '',
      lossesKept,
    );
  }

  /**
   * Resolves once the subscription is active: from then on every published event reaches `listener`, once
   * and in the publish order, and every loss `onLost`. While Redis is unreachable it waits (no retry limit);
   * after each reconnection it subscribes again and first delivers, from the shared windows and the losses
   * kept, what was published while it was cut off.
   */
  async listen(listener: EventListener, onLost?: LossListener): Promise<void> {
    const subscriber = this.connect('subscriber', null);
    this.subscriber = subscriber;
    let lastDelivered = 0;
    let catchingUp: LogEntry[] | undefined;
    const deliver = (entry: LogEntry) => {
      if (entry.place <= lastDelivered) return; // already delivered, live or from the windows
      lastDelivered = entry.place;
      if (entry.event) listener(entry.event);
      else onLost?.(entry.lost);
    };
    const channels = [this.keys.eventsChannel, this.keys.legacyEventsChannel];
    subscriber.on('message', (channel: string, message: string) => {
      // An event of this build comes on both channels (ENGRAM_EVENTS_LEGACY_CHANNEL), one place: `deliver` keeps the first.
      const published = channel === this.keys.eventsChannel ? parseLogMessage(message) : parseLegacyMessage(message);
      if (!published) this.logger.warn({ msg: 'malformed event message ignored', channel });
      else if (catchingUp) catchingUp.push(published);
      else deliver(published);
    });
    await subscriber.subscribe(...channels);
    // Where a catch-up starts if nothing was delivered before the first outage: the last place handed out then.
    const subscribedAt = await this.lastPlace();
    subscriber.on('ready', () => {
      if (catchingUp) return;
      const held: LogEntry[] = (catchingUp = []);
      // Subscribed again before reading the windows, so nothing falls between the two.
      void subscriber
        .subscribe(...channels)
        .then(() => this.keptSince(Math.max(lastDelivered, subscribedAt)))
        .catch(() => undefined)
        .then((missed) => {
          catchingUp = undefined;
          for (const published of [...(missed ?? []), ...held].sort((a, b) => a.place - b.place)) deliver(published);
        });
    });
  }

  /**
   * The windows' events after what the client has `seen` in each of its namespaces, oldest first, read in
   * one transaction. Complete when nothing of theirs the client has not seen is gone: each window still
   * reaches back to its last id (or never dropped an entry), and no window of theirs dropped whole held
   * anything newer. Undefined when Redis does not answer in time.
   */
  async history(seen: LastSeen): Promise<Replay | undefined> {
    if (this.bounds.perNamespace === 0) return undefined;
    return readSharedWindows(() => this.readHistory(seen), this.logger);
  }

  /**
   * The newest kept events of each of `namespaces` (older than its id in `before` when given), newest first
   * in the order they were published, which their ids, each namespace numbering its own, do not give;
   * undefined when Redis does not answer in time.
   */
  async newest(namespaces: readonly string[], count: number, before?: LastSeen): Promise<EngramEvent[] | undefined> {
    if (this.bounds.perNamespace === 0) return undefined;
    return readSharedWindows(async () => {
      const read = this.publisher.pipeline();
      for (const namespace of namespaces) {
        const beforeId = before?.get(namespace);
        const end = beforeId === undefined ? '+' : `(${beforeId}-0`;
        read.xrevrange(this.keys.eventsLog(namespace), end, '-', 'COUNT', count);
      }
      const pages = (await read.exec())!.map(([error, entries]) => {
        if (error) throw error;
        return (entries as StreamEntry[]).flatMap((entry) => parseEntry(entry) ?? []);
      });
      return pages
        .flat()
        .sort((a, b) => b.place - a.place)
        .map(({ event }) => event);
    }, this.logger);
  }

  /** The last place handed out, by this build or by a replica of the one-sequence builds (0 when unknown). */
  private async lastPlace(): Promise<number> {
    const places = await this.publisher.mget(this.keys.eventsOrder, this.keys.legacyLastEventId).catch(() => []);
    return Math.max(0, ...places.map(Number).filter(Number.isSafeInteger));
  }

  /**
   * Every kept event and loss published after place `afterPlace`, whatever its namespace: what a process cut
   * off missed. Only at a reconnection, so the windows active since are read whole.
   */
  private async keptSince(afterPlace: number): Promise<LogEntry[] | undefined> {
    return readSharedWindows(async () => {
      const active =
        this.bounds.perNamespace === 0
          ? []
          : await this.publisher.zrangebyscore(this.keys.eventsWindows, `(${afterPlace}`, '+inf');
      const read = this.publisher.pipeline().xrange(this.keys.eventsLosses, `(${afterPlace}-0`, '+');
      for (const namespace of active) read.xrange(this.keys.eventsLog(namespace), '-', '+');
      const [losses, ...windows] = (await read.exec())!.map(([error, entries]) => {
        if (error) throw error;
        return entries as StreamEntry[];
      });
      const events = windows.flat().flatMap((entry) => parseEntry(entry) ?? []);
      return [...losses.flatMap((entry) => parseLoss(entry) ?? []), ...events].filter(
        ({ place }) => place > afterPlace,
      );
    }, this.logger);
  }

  private async readHistory(seen: LastSeen): Promise<Replay> {
    const read = this.publisher.multi().get(this.keys.eventsForgotten);
    for (const [namespace, lastId] of seen) {
      const window = this.keys.eventsLog(namespace);
      read.xrange(window, `(${lastId}-0`, '+').xinfo('STREAM', window).zscore(this.keys.eventsDropped, namespace);
    }
    const [[, forgotten], ...answers] = (await read.exec())!;
    const places = new Map<EngramEvent, number>();
    const replays = [...seen.values()].map((lastId, i) => {
      const [[, entries], [noWindow, info], [, dropped]] = answers.slice(i * 3, i * 3 + 3);
      const lostUpTo = Number(dropped ?? forgotten ?? 0);
      // XINFO answers an error for a window that does not exist, which trimmed nothing.
      const reaches = noWindow !== null || reachesBack(info as unknown[], lastId);
      const published = (entries as StreamEntry[]).flatMap((entry) => parseEntry(entry) ?? []);
      for (const { event, place } of published) places.set(event, place);
      return { events: published.map(({ event }) => event), complete: reaches && lastId >= lostUpTo };
    });
    return mergeReplays(replays, (event) => places.get(event)!);
  }

  /** Hands every queued send to Redis when it answers, then ends both connections. */
  async close(): Promise<void> {
    this.publishQueued(Infinity);
    const unsent = this.queue.clear();
    if (unsent > 0) this.logger.warn({ msg: 'events not published: Redis is unreachable', count: unsent });
    await Promise.all([this.subscriber, this.publisher].filter((client) => client !== undefined).map(quit));
  }

  private connect(role: string, maxRetriesPerRequest: number | null = 20): Redis {
    const client = new Redis(this.url, { maxRetriesPerRequest, connectionName: `engram-events-${role}` });
    let reported = false;
    client.on('error', (error: Error) => {
      if (reported) return; // one line per outage, not one per reconnect attempt
      reported = true;
      this.logger.warn({ msg: 'Redis unreachable for events', role, error: error.message });
    });
    client.on('ready', () => (reported = false));
    return client;
  }
}

export interface RedisRelayOptions {
  /** Sends kept while Redis does not answer; default SEND_QUEUE_LIMIT. */
  queueLimit?: number;
  /** Counts the sends dropped past that limit (engram_events_dropped_total). */
  metrics?: EngramMetrics;
  /** Also publish on the one-sequence builds' channel, in their message (ENGRAM_EVENTS_LEGACY_CHANNEL; default on). */
  legacyChannel?: boolean;
  /** This replica's clock in ms, the floor of the ids it publishes: replicas' clocks differ. */
  clock?: () => number;
}

/**
 * An entry of a replay window as XRANGE answers it: the stream id (`<event id>-0`) and its fields, `e` the
 * draft and `o` its place (absent from entries written when one sequence numbered every event, whose id
 * was its place).
 */
type StreamEntry = [string, string[]];

function parseEntry([entryId, fields]: StreamEntry): Published | undefined {
  const id = entryId.split('-')[0];
  return parsePublished(fields[2] === 'o' ? fields[3] : id, id, fields[1]);
}

/** An entry of the losses kept: the stream id `<place>-0`, `i` the id told and `e` the loss's draft. */
function parseLoss([entryId, fields]: StreamEntry): LogEntry | undefined {
  return parseLogEntry(entryId.split('-')[0], fields[1], fields[3]);
}

/**
 * A message of the builds with one id sequence: `<id> <draft as JSON>`. That id is the event's place, and
 * also its id here: above every id its namespace had (each at most its place) and equal to its window
 * entry's, so live delivery and replay agree.
 */
function parseLegacyMessage(message: string): Published | undefined {
  const [id] = message.split(' ', 1);
  return parsePublished(id, id, message.slice(id.length + 1));
}

/** From XINFO STREAM's answer: whether every entry after `lastId` the window ever held is still in it. */
function reachesBack(info: unknown[], lastId: number): boolean {
  const field = (name: string) => info[info.indexOf(name) + 1];
  if (Number(field('entries-added')) === Number(field('length'))) return true;
  const first = field('first-entry') as [string, unknown] | null;
  return first !== null && Number(first[0].split('-')[0]) <= lastId;
}

/** Flushes pending publishes when connected; gives up at once when Redis is gone. */
async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
