import { Logger, OnModuleDestroy } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import {
  BudgetPlace,
  emptyReservation,
  FailureBudget,
  FailureLimiter,
  InMemoryFailureLimiter,
  keyDigest,
  Reservation,
  waitInSeconds,
} from './failure-limiter';

/**
 * The time the scripts count at, in ms: ARGV[1] when the limiter was given a clock, else Redis's own, so
 * replicas whose clocks differ still agree on every window.
 */
const NOW = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = t[1] * 1000 + math.floor(t[2] / 1000)
end`;

/**
 * Records one failure: a sorted set of failure times per key, trimmed to the window and to the last
 * `limit` entries (all an answer needs), expiring with the window. KEYS[1] the set; ARGV: the time, the
 * window in ms, the limit, a member no other failure of any replica has.
 */
const RECORD_SCRIPT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0`;

/**
 * Milliseconds until the key is within its budget again (0 when it is): the oldest of the last `limit`
 * failures leaves the window then. KEYS[1] the set; ARGV: the time, the window in ms, the limit.
 */
const RETRY_SCRIPT = `${NOW}
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then return 0 end
local oldest = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)`;

/**
 * Takes a place in every set if each has room, else none: trimmed, counted and added in one script, so
 * no other replica's call runs between the count and the add. KEYS: one set per budget; ARGV: the time,
 * the member, then each set's window in ms and limit. Answers 0, or the ms until every set has room.
 */
const RESERVE_SCRIPT = `${NOW}
local wait = 0
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[1 + 2 * i])
  local limit = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, -limit, -limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now, 1)
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, ARGV[1 + 2 * i])
end
return 0`;

/** Gives a reservation's places back. KEYS: its sets; ARGV: the time (unused), its member. */
const RELEASE_SCRIPT = `
for _, key in ipairs(KEYS) do redis.call('ZREM', key, ARGV[2]) end
return 0`;

/** How long requests at start-up wait for Redis before counting in this process. */
const FIRST_CONNECTION_MS = 2000;

/**
 * The FailureLimiter every replica shares: failures counted in Redis, so an attacker spreading guesses
 * over api replicas meets one budget, and a client locked out on one replica is locked out on all.
 * While Redis cannot answer, this process counts on its own (the in-memory limiter) rather than either
 * locking everyone out or letting every guess through.
 */
export class RedisFailureLimiter implements FailureLimiter, OnModuleDestroy {
  private readonly logger = new Logger('FailureLimiter');
  private readonly client: Redis;
  private readonly fallback = new InMemoryFailureLimiter();
  private degraded = false;
  /** Sets this limiter's entries apart from every other replica's (see nextMember). */
  private readonly instance = randomBytes(6).toString('hex');
  private sequence = 0;
  /** Settles once the first connection is up or has failed to come up in time. */
  private readonly firstConnection: Promise<unknown>;

  /**
   * `clock` replaces Redis's clock (tests use it to put two replicas' failures in one millisecond); every
   * replica of a deployment must count with the same clock.
   */
  constructor(
    url: string,
    private readonly keys: RedisKeys,
    private readonly clock?: () => number,
  ) {
    this.client = new Redis(url, {
      connectionName: 'engram-failure-limiter',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.on('error', () => undefined); // reported once per outage by `shared`
    this.firstConnection = once(this.client, 'ready', { signal: AbortSignal.timeout(FIRST_CONNECTION_MS) }).catch(
      () => undefined,
    );
  }

  async retryAfterSeconds(budget: FailureBudget, key: string): Promise<number> {
    const waitMs = await this.shared(() =>
      this.run(RETRY_SCRIPT, [this.keyOf(budget, key)], budget.windowMs, budget.limit),
    );
    if (waitMs === undefined) return this.fallback.retryAfterSeconds(budget, key);
    return waitMs === 0 ? 0 : waitInSeconds(waitMs);
  }

  async recordFailure(budget: FailureBudget, key: string): Promise<void> {
    const set = this.keyOf(budget, key);
    const recorded = await this.shared(() =>
      this.run(RECORD_SCRIPT, [set], budget.windowMs, budget.limit, this.nextMember()),
    );
    if (recorded === undefined) await this.fallback.recordFailure(budget, key);
  }

  async reserve(places: readonly BudgetPlace[]): Promise<Reservation> {
    const sets = places.map(({ budget, key }) => this.keyOf(budget, key));
    const member = this.nextMember();
    const limits = places.flatMap(({ budget }) => [budget.windowMs, budget.limit]);
    const waitMs = await this.shared(() => this.run(RESERVE_SCRIPT, sets, member, ...limits));
    if (waitMs === undefined) return this.fallback.reserve(places);
    if (waitMs > 0) return emptyReservation(waitInSeconds(waitMs));
    const release = async () => void (await this.shared(() => this.run(RELEASE_SCRIPT, sets, member)));
    return { retryAfterSeconds: 0, release };
  }

  async onModuleDestroy(): Promise<void> {
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  private keyOf(budget: FailureBudget, key: string): string {
    return this.keys.authFailures(budget.name, keyDigest(key));
  }

  /**
   * A member no other entry has, on any replica: a process id is not enough, as every container's api
   * may be pid 1 (and tests run two limiters in one process).
   */
  private nextMember(): string {
    return `${this.instance}.${this.sequence++}`;
  }

  /** Runs a script with the time first in ARGV ('' for Redis's own); every script answers a number. */
  private run(script: string, sets: string[], ...args: (string | number)[]): Promise<number> {
    return this.client.eval(script, sets.length, ...sets, this.clock?.() ?? '', ...args) as Promise<number>;
  }

  private async shared<T>(call: () => Promise<T>): Promise<T | undefined> {
    // Requests at start-up wait for the first connection; during a later outage nothing waits.
    await this.firstConnection;
    try {
      const result = await call();
      if (this.degraded) this.logger.log('Redis answers again: failed credentials are counted across replicas');
      this.degraded = false;
      return result;
    } catch (error) {
      if (!this.degraded) {
        this.logger.warn({
          msg: 'Redis unreachable: failed credentials are counted in this process only until it answers',
          error: (error as Error).message,
        });
      }
      this.degraded = true;
      return undefined;
    }
  }
}
