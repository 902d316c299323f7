import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RedisKeys } from '../config/redis-keys';
import { PostgresSlotLeases } from '../storage/postgres/postgres-slot-leases';
import { SqliteSlotLeases } from '../storage/sqlite/sqlite-slot-leases';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { startTestApp } from '../testing/test-app';
import { JUDGE_SLOT_LEASES } from './conflict-judge.service';
import { RedisSlotLeases } from './redis-slot-leases';

/** A judge nobody asks in these tests: only where its slots come from matters. */
const JUDGE = { ENGRAM_CONFLICTS_JUDGE_URL: 'http://127.0.0.1:9/v1', ENGRAM_CONFLICTS_JUDGE_MODEL: 'judge' };

/** The judge slots' shared store an api started with `env` uses (undefined: none, without a judge). */
async function judgeSlotLeasesOf(env: Record<string, string>): Promise<unknown> {
  const api = await startTestApp(env);
  try {
    return api.app.get(JUDGE_SLOT_LEASES, { strict: false });
  } finally {
    await api.close();
  }
}

describe("where an api's conflict judge takes its slots from", () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  before(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
  });
  after(async () => {
    await Promise.all([redis?.close(), postgres?.close()]);
  });

  it('shares them in Redis when REDIS_URL is set', async () => {
    assert.ok((await judgeSlotLeasesOf({ ...JUDGE, REDIS_URL: redis.url })) instanceof RedisSlotLeases);
  });

  it('shares them in PostgreSQL without Redis', async () => {
    const env = { ...JUDGE, MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url };
    assert.ok((await judgeSlotLeasesOf(env)) instanceof PostgresSlotLeases);
  });

  it('shares them in the SQLite file without Redis, which `engram mcp` may open too', async () => {
    assert.ok((await judgeSlotLeasesOf(JUDGE)) instanceof SqliteSlotLeases);
  });

  it('records its limit in the SQLite file while it runs, and takes it back when it stops', async () => {
    const api = await startTestApp({ ...JUDGE, ENGRAM_CONFLICTS_JUDGE_CONCURRENCY: '3' });
    const members = () => {
      const db = new Database(join(api.dir, 'engram.db'), { readonly: true });
      try {
        return db.prepare('SELECT semaphore, slot_limit AS "limit" FROM slot_members').all();
      } finally {
        db.close();
      }
    };
    try {
      assert.deepEqual(members(), [{ semaphore: 'conflict-judge', limit: 3 }]);
    } finally {
      await api.close({ keepDir: true });
    }
    assert.deepEqual(members(), [], 'a process that stops no longer holds the others to its limit');
  });

  it('records its limit in Redis while it runs, and takes it back before the connection closes', async () => {
    const api = await startTestApp({ ...JUDGE, REDIS_URL: redis.url, ENGRAM_CONFLICTS_JUDGE_CONCURRENCY: '3' });
    const { limits } = api.app.get(RedisKeys).slotLeases('conflict-judge');
    const client = new Redis(redis.url);
    try {
      assert.deepEqual(Object.values(await client.hgetall(limits)), ['3']);
      await api.close();
      assert.deepEqual(await client.hgetall(limits), {});
    } finally {
      client.disconnect();
    }
  });

  it('shares nothing without a judge', async () => {
    assert.equal(await judgeSlotLeasesOf({ REDIS_URL: redis.url }), undefined);
    assert.equal(await judgeSlotLeasesOf({}), undefined);
  });
});
