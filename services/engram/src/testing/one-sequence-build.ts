import { Redis } from 'ioredis';
import { EngramEvent, EventDraft, keptForReplay } from '../events/engram-event';

/**
 * A replica of the last build with one event id sequence (before ids were per namespace, commit ea1b185^),
 * on a real Redis: what a rolling upgrade runs beside the new build. Its publish script, its keys and its
 * message parser are copied verbatim from that build's events/redis-event.relay.ts and config/redis-keys.ts,
 * so a test sees exactly what such a replica publishes and what it can read; only the clock is a parameter.
 */
export class OneSequenceBuild {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    /** ENGRAM_EVENTS_RING_SIZE and ENGRAM_EVENTS_RING_TOTAL of that build. */
    private readonly bounds = { perNamespace: 1000, total: 20_000 },
  ) {
    this.redis = new Redis(url);
  }

  /** The channel it publishes on and listens to (its RedisKeys.eventsChannel). */
  get channel(): string {
    return `${this.prefix}:events`;
  }

  /** Publishes as that build's RedisEventRelay.send did, its clock at `nowMs`; answers the id it handed out. */
  async publish(draft: EventDraft, nowMs = Date.now()): Promise<number> {
    const id = await this.redis.eval(
      ONE_SEQUENCE_PUBLISH_SCRIPT,
      6,
      `${this.prefix}:events:last-id`,
      `${this.prefix}:events:log:${draft.namespace}`,
      `${this.prefix}:events:windows`,
      `${this.prefix}:events:kept`,
      `${this.prefix}:events:dropped`,
      `${this.prefix}:events:forgotten`,
      String(nowMs * 1000),
      this.channel,
      JSON.stringify(draft),
      keptForReplay(draft.type) ? this.bounds.perNamespace : 0,
      this.bounds.total,
      draft.namespace,
      `${this.prefix}:events:log:`,
      Math.max(this.bounds.total, 1000), // droppedRemembered
      10, // SMALLEST_WINDOW
    );
    return Number(id);
  }

  /** How that build reads a message of its channel: the event its replicas deliver, or undefined (ignored). */
  parse(message: string): EngramEvent | undefined {
    return parseMessage(message);
  }

  close(): void {
    this.redis.disconnect();
  }
}

/** That build's PUBLISH_SCRIPT. */
const ONE_SEQUENCE_PUBLISH_SCRIPT = `
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

/** That build's parseMessage. */
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
