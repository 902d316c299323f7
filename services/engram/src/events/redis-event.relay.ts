import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { RedisKeys } from '../config/redis-keys';
import { EngramEvent, EventDraft, keptForReplay } from './engram-event';
import { EventListener, EventRelay } from './event-relay';
import { Replay } from './event-ring';
import { droppedRemembered, mergeReplays, ReplayBounds, SMALLEST_WINDOW } from './replay-windows';

/**
 * Hands out the next id (the rule of event-ids.ts: max(last + 1, now in µs), and past every kept event),
 * appends the event to its namespace's capped replay window and publishes it, in one atomic step, so the
 * order of ids is the order every subscriber receives and every window holds. Past the total the windows
 * may keep, those of the namespaces idle longest are dropped whole and remembered with the newest id they
 * held (the oldest records forgotten past ARGV[8], the newest forgotten id kept). `%.0f` keeps the
 * 16-digit id exact (Lua's tostring would switch to exponent notation). The windows dropped are named from
 * ARGV[7]: they share the deployment's prefix, so a `{tag}` in it keeps them in the script's cluster slot.
 * KEYS[1] last id, KEYS[2] this namespace's window, KEYS[3] windows by activity, KEYS[4] events kept,
 * KEYS[5] dropped windows, KEYS[6] newest forgotten id; ARGV[1] publisher's clock in µs; ARGV[2] channel;
 * ARGV[3] the draft as JSON; ARGV[4] events a window keeps (0: this event is not kept); ARGV[5] events
 * kept in all; ARGV[6] the namespace; ARGV[7] window key prefix; ARGV[8] dropped windows remembered;
 * ARGV[9] what a smaller window counts as (see windowCharge).
 */
const PUBLISH_SCRIPT = `
local function charge(window)
  local size = redis.call('XLEN', window)
  if size == 0 then return 0 end
  return math.max(size, tonumber(ARGV[9]))
end
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local busiest = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2]
if busiest then last = math.max(last, tonumber(busiest)) end
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if newest then last = math.max(last, tonumber(string.match(newest[1], '^%d+'))) end
local id = math.max(last + 1, tonumber(ARGV[1]))
local text = string.format('%.0f', id)
redis.call('SET', KEYS[1], text)
if tonumber(ARGV[4]) > 0 then
  local before = charge(KEYS[2])
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], text .. '-0', 'e', ARGV[3])
  redis.call('ZADD', KEYS[3], text, ARGV[6])
  local kept = redis.call('INCRBY', KEYS[4], charge(KEYS[2]) - before)
  while kept > tonumber(ARGV[5]) do
    local idle = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    if idle[1] == ARGV[6] then
      -- only this window is left: the count had drifted (keys removed by hand)
      redis.call('SET', KEYS[4], charge(KEYS[2]))
      break
    end
    local window = ARGV[7] .. idle[1]
    kept = redis.call('DECRBY', KEYS[4], charge(window))
    redis.call('DEL', window)
    redis.call('ZREM', KEYS[3], idle[1])
    redis.call('ZADD', KEYS[5], idle[2], idle[1])
  end
  while redis.call('ZCARD', KEYS[5]) > tonumber(ARGV[8]) do
    local forgotten = redis.call('ZPOPMIN', KEYS[5])[2]
    if tonumber(forgotten) > tonumber(redis.call('GET', KEYS[6]) or '0') then redis.call('SET', KEYS[6], forgotten) end
  end
end
redis.call('PUBLISH', ARGV[2], text .. ' ' .. ARGV[3])
return text
`;

/** How long a replay waits for the shared windows before the process's own windows serve it. */
const HISTORY_WAIT_MS = 1000;

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

  constructor(
    private readonly url: string,
    private readonly keys: RedisKeys,
    /** What the shared replay windows keep (ENGRAM_EVENTS_RING_SIZE per namespace, ENGRAM_EVENTS_RING_TOTAL). */
    private readonly bounds: ReplayBounds,
  ) {
    this.publisher = this.connect('publisher');
  }

  send(draft: EventDraft): void {
    const nowMicros = String(Date.now() * 1000);
    this.publisher
      .eval(
        PUBLISH_SCRIPT,
        6,
        this.keys.lastEventId,
        this.keys.eventsLog(draft.namespace),
        this.keys.eventsWindows,
        this.keys.eventsKept,
        this.keys.eventsDropped,
        this.keys.eventsForgotten,
        nowMicros,
        this.keys.eventsChannel,
        JSON.stringify(draft),
        keptForReplay(draft.type) ? this.bounds.perNamespace : 0,
        this.bounds.total,
        draft.namespace,
        this.keys.eventsLogPrefix,
        droppedRemembered(this.bounds),
        SMALLEST_WINDOW,
      )
      .catch((error) => {
        this.logger.warn({ msg: 'event not published', type: draft.type, error: (error as Error).message });
      });
  }

  /**
   * Resolves once the subscription is active: from then on every published event reaches `listener`, once
   * and in id order. While Redis is unreachable it waits (no retry limit); after each reconnection it
   * subscribes again and first delivers, from the shared windows, what was published while it was cut off.
   */
  async listen(listener: EventListener): Promise<void> {
    const subscriber = this.connect('subscriber', null);
    this.subscriber = subscriber;
    let lastDelivered = 0;
    let catchingUp: EngramEvent[] | undefined;
    const deliver = (event: EngramEvent) => {
      if (event.id <= lastDelivered) return; // already delivered, live or from the windows
      lastDelivered = event.id;
      listener(event);
    };
    subscriber.on('message', (_channel: string, message: string) => {
      const event = parseMessage(message);
      if (!event) this.logger.warn({ msg: 'malformed event message ignored', channel: this.keys.eventsChannel });
      else if (catchingUp) catchingUp.push(event);
      else deliver(event);
    });
    await subscriber.subscribe(this.keys.eventsChannel);
    // Where a catch-up starts if nothing was delivered before the first outage: the last id handed out then.
    const subscribedAt = Number(await this.publisher.get(this.keys.lastEventId).catch(() => null));
    subscriber.on('ready', () => {
      if (catchingUp) return;
      const held: EngramEvent[] = (catchingUp = []);
      // Subscribed again before reading the windows, so nothing falls between the two.
      void subscriber
        .subscribe(this.keys.eventsChannel)
        .then(() => this.keptSince(Math.max(lastDelivered, subscribedAt)))
        .catch(() => undefined)
        .then((missed) => {
          catchingUp = undefined;
          for (const event of [...(missed ?? []), ...held].sort((a, b) => a.id - b.id)) deliver(event);
        });
    });
  }

  /**
   * The windows' events of `namespaces` after `lastId`, oldest first, read in one transaction. Complete when
   * nothing of theirs the client has not seen is gone: each window still reaches back to `lastId` (or never
   * dropped an entry), and no window of theirs dropped whole held anything newer. Undefined when Redis does
   * not answer in time.
   */
  async history(namespaces: readonly string[], lastId: number): Promise<Replay | undefined> {
    if (this.bounds.perNamespace === 0) return undefined;
    return this.readWindows(() => this.readHistory(namespaces, lastId));
  }

  /** The newest kept events of `namespaces` (older than `beforeId` when given); undefined when Redis does not answer in time. */
  async newest(namespaces: readonly string[], count: number, beforeId?: number): Promise<EngramEvent[] | undefined> {
    if (this.bounds.perNamespace === 0) return undefined;
    const end = beforeId === undefined ? '+' : `(${beforeId}-0`;
    return this.readWindows(async () => {
      const read = this.publisher.pipeline();
      for (const namespace of namespaces) read.xrevrange(this.keys.eventsLog(namespace), end, '-', 'COUNT', count);
      const pages = (await read.exec())!.map(([error, entries]) => {
        if (error) throw error;
        return eventsOf(entries as LogEntry[]);
      });
      return pages
        .flat()
        .sort((a, b) => b.id - a.id)
        .slice(0, count);
    });
  }

  /** Every kept event after `lastId`, whatever its namespace, oldest first: what a process cut off missed. */
  private async keptSince(lastId: number): Promise<EngramEvent[] | undefined> {
    if (this.bounds.perNamespace === 0) return undefined;
    return this.readWindows(async () => {
      const active = await this.publisher.zrangebyscore(this.keys.eventsWindows, `(${lastId}`, '+inf');
      return (await this.readHistory(active, lastId)).events;
    });
  }

  private async readHistory(namespaces: readonly string[], lastId: number): Promise<Replay> {
    const read = this.publisher.multi().get(this.keys.eventsForgotten);
    for (const namespace of namespaces) {
      const window = this.keys.eventsLog(namespace);
      read.xrange(window, `(${lastId}-0`, '+').xinfo('STREAM', window).zscore(this.keys.eventsDropped, namespace);
    }
    const [[, forgotten], ...answers] = (await read.exec())!;
    return mergeReplays(
      namespaces.map((_, i) => {
        const [[, entries], [noWindow, info], [, dropped]] = answers.slice(i * 3, i * 3 + 3);
        const lostUpTo = Number(dropped ?? forgotten ?? 0);
        // XINFO answers an error for a window that does not exist, which trimmed nothing.
        const reaches = noWindow !== null || reachesBack(info as unknown[], lastId);
        return { events: eventsOf(entries as LogEntry[]), complete: reaches && lastId >= lostUpTo };
      }),
    );
  }

  /** A read of the shared windows, or undefined when Redis does not answer within HISTORY_WAIT_MS. */
  private readWindows<T>(read: () => Promise<T>): Promise<T | undefined> {
    return Promise.race([read(), delay(HISTORY_WAIT_MS, undefined, { ref: false })]).catch((error: Error) => {
      this.logger.warn({
        msg: 'replay windows unreadable; this process serves from its own events',
        error: error.message,
      });
      return undefined;
    });
  }

  async close(): Promise<void> {
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

/** An entry of a replay window as XRANGE answers it: the stream id (`<event id>-0`) and its fields. */
type LogEntry = [string, string[]];

function eventsOf(entries: LogEntry[]): EngramEvent[] {
  return entries.flatMap(([id, fields]) => parseMessage(`${id.split('-')[0]} ${fields[1]}`) ?? []);
}

function parseMessage(message: string): EngramEvent | undefined {
  const space = message.indexOf(' ');
  const id = Number(message.slice(0, space));
  if (space < 1 || !Number.isSafeInteger(id)) return undefined;
  try {
    const draft = JSON.parse(message.slice(space + 1)) as EventDraft;
    return typeof draft.type === 'string' ? { id, ...draft } : undefined;
  } catch {
    return undefined;
  }
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
