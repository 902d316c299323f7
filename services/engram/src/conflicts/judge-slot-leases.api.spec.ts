import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PostgresSlotLeases } from '../storage/postgres/postgres-slot-leases';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { startTestApp } from '../testing/test-app';
import { JUDGE_SLOT_LEASES } from './conflict-judge.service';
import { RedisSlotLeases } from './redis-slot-leases';

/** A judge nobody asks in these tests: only where its slots come from matters. */
const JUDGE = { ENGRAM_CONFLICTS_JUDGE_URL: 'http://127.0.0.1:9/v1', ENGRAM_CONFLICTS_JUDGE_MODEL: 'judge' };

/** The judge slots' shared store an api started with `env` uses (undefined: counted in the process). */
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

  it('counts them in the process on SQLite without Redis, and shares nothing without a judge', async () => {
    assert.equal(await judgeSlotLeasesOf(JUDGE), undefined);
    assert.equal(await judgeSlotLeasesOf({ REDIS_URL: redis.url }), undefined);
  });
});
