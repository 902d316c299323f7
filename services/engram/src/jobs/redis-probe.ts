import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { ServiceUnreachable } from '../common/service-unreachable';

/** How long a command waits for Redis to answer before saying it cannot be reached. */
const PROBE_TIMEOUT_MS = 5000;

/** Redis at REDIS_URL did not answer; the message names its host and port, never the password. */
export class RedisUnreachable extends ServiceUnreachable {}

/**
 * Connects once to Redis and pings it, without retrying: an operator command checks Redis this way
 * before it opens anything, so an unreachable Redis is one line, not reconnection warnings and a stack.
 */
export async function probeRedis(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  // Without retries connect() rejects with "Connection is closed."; the socket's error says why.
  let cause: Error | undefined;
  client.on('error', (error: Error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const reason = (cause ?? (error as Error)).message || 'no answer';
    throw new RedisUnreachable(`Cannot reach Redis at ${describeRedisUrl(url)} (REDIS_URL): ${reason}`);
  } finally {
    client.disconnect();
  }
}

/** How long a server waits at start for Redis, which may be starting beside it. */
const SERVER_PATIENCE_MS = 10_000;
const RETRY_DELAY_MS = 250;

/**
 * probeRedis, retried until Redis answers or `patienceMs` has passed: the api and the worker check Redis
 * this way before they open anything, so Redis that never answers is one line (its last failure), not
 * reconnection warnings and a job queue error.
 */
export async function waitForRedis(url: string, patienceMs = SERVER_PATIENCE_MS): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      return await probeRedis(url, Math.max(deadline - Date.now(), RETRY_DELAY_MS));
    } catch (error) {
      if (Date.now() + RETRY_DELAY_MS >= deadline) throw error;
    }
    await sleep(RETRY_DELAY_MS);
  }
}

/** The URL without credentials: redis://host:port/db. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'REDIS_URL';
  }
}
