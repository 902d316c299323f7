import { OnApplicationShutdown } from '@nestjs/common';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import { SlotClaim, SlotLeases, SlotMember } from '../storage/slot-leases';

/**
 * What attending and claiming share: sweeps the members whose lease ran out (by Redis's clock), keeps this
 * one (ARGV: member, limit, lease in ms) live for a lease with its limit, and sets `size` to the smallest
 * limit among the live members. Each key expires with its longest lease, so a semaphore nobody uses
 * leaves nothing behind. KEYS: line, leases, places, members, limits.
 */
const ATTENDING = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local lease = tonumber(ARGV[3])
local function keep(key)
  if redis.call('PTTL', key) < lease then redis.call('PEXPIRE', key, lease) end
end
for _, lapsed in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  redis.call('HDEL', KEYS[5], lapsed)
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
redis.call('ZADD', KEYS[4], now + lease, ARGV[1])
redis.call('HSET', KEYS[5], ARGV[1], ARGV[2])
keep(KEYS[4])
keep(KEYS[5])
local size = tonumber(ARGV[2])
for _, limit in ipairs(redis.call('HVALS', KEYS[5])) do size = math.min(size, tonumber(limit)) end`;

/** Attends and answers the agreed size. */
const ATTEND_SCRIPT = `${ATTENDING}
return size`;

/**
 * Attends, then sweeps the tickets whose lease ran out, puts the ticket (ARGV[4]) in line unless it is
 * there, runs its lease from now, and answers {1 when it is among the first `size`, else 0; size}.
 */
const CLAIM_SCRIPT = `${ATTENDING}
for _, lapsed in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('ZREM', KEYS[1], lapsed)
  redis.call('ZREM', KEYS[2], lapsed)
end
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), ARGV[4])
end
redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
for i = 1, 3 do keep(KEYS[i]) end
if redis.call('ZRANK', KEYS[1], ARGV[4]) < size then return {1, size} end
return {0, size}`;

/** Extends a ticket's lease unless it has run out. KEYS: line, leases, places; ARGV: ticket, lease in ms. */
const RENEW_SCRIPT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ends = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not ends or tonumber(ends) <= now then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return 1`;

/** How long calls at start-up wait for Redis before failing. */
const FIRST_CONNECTION_MS = 2000;

/**
 * SlotLeases in the Redis every replica shares (REDIS_URL), under the deployment's prefix. While Redis
 * cannot answer, calls fail at once rather than queue, and their caller decides (the judge's waits end
 * unjudged).
 */
export class RedisSlotLeases implements SlotLeases, OnApplicationShutdown {
  private readonly client: Redis;
  /** Settles once the first connection is up or has failed to come up in time. */
  private readonly firstConnection: Promise<unknown>;

  constructor(
    url: string,
    private readonly keys: RedisKeys,
  ) {
    this.client = new Redis(url, {
      connectionName: 'engram-slot-leases',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.on('error', () => undefined); // each failed call reports its own error
    this.firstConnection = once(this.client, 'ready', { signal: AbortSignal.timeout(FIRST_CONNECTION_MS) }).catch(
      () => undefined,
    );
  }

  async attend(semaphore: string, member: SlotMember, leaseMs: number): Promise<number> {
    await this.firstConnection;
    const size = await this.client.eval(ATTEND_SCRIPT, 5, ...this.keysOf(semaphore), member.id, member.limit, leaseMs);
    return Number(size);
  }

  async leave(semaphore: string, memberId: string): Promise<void> {
    const { members, limits } = this.keys.slotLeases(semaphore);
    await this.client.multi().zrem(members, memberId).hdel(limits, memberId).exec();
  }

  async claim(semaphore: string, member: SlotMember, ticket: string, leaseMs: number): Promise<SlotClaim> {
    await this.firstConnection;
    const [held, size] = (await this.client.eval(
      CLAIM_SCRIPT,
      5,
      ...this.keysOf(semaphore),
      member.id,
      member.limit,
      leaseMs,
      ticket,
    )) as [number, number];
    return { held: held === 1, size };
  }

  async renew(semaphore: string, ticket: string, leaseMs: number): Promise<void> {
    await this.firstConnection;
    await this.client.eval(RENEW_SCRIPT, 3, ...this.keysOf(semaphore).slice(0, 3), ticket, leaseMs);
  }

  async release(semaphore: string, ticket: string): Promise<void> {
    const { line, leases } = this.keys.slotLeases(semaphore);
    await this.client.multi().zrem(line, ticket).zrem(leases, ticket).exec();
  }

  /** After every module's destroy hook, so the judge leaves the slots before the connection goes. */
  async onApplicationShutdown(): Promise<void> {
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  private keysOf(semaphore: string): string[] {
    const { line, leases, places, members, limits } = this.keys.slotLeases(semaphore);
    return [line, leases, places, members, limits];
  }
}
