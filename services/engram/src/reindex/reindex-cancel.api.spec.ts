import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { JobsHarness, startJobsHarness, waitForJob } from '../testing/job-helpers';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';
import { ReindexStaging } from './reindex-staging';

const PAST_CANCELLING =
  /^Job \S+ can no longer be cancelled: the reindex is switching to the new vectors and must finish$/;

/** Holds the reindexes `runner` (an api, or a worker) runs where the switch begins, until released. */
function holdSwitches(runner: INestApplicationContext): { reached: Promise<void>; release(): void } {
  const staging = runner.get(ReindexStaging, { strict: false });
  const switchToStaged = staging.switchToStaged.bind(staging);
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  staging.switchToStaged = async () => {
    reach();
    await released;
    return switchToStaged();
  };
  return { reached, release };
}

/**
 * Stores a memory and reindexes through `api`, its switch held in `runner` while `whileSwitching` acts on
 * the reindex job; then wants the reindex completed, and answers its id.
 */
async function reindexWhileSwitching(
  api: TestApp,
  runner: INestApplicationContext,
  whileSwitching: (id: string) => Promise<void>,
): Promise<string> {
  const switches = holdSwitches(runner);
  const stored = await api.request('POST', '/api/memories', { body: { content: 'embedded again' } });
  assert.equal(stored.status, 201, stored.text);
  const reindex = await api.request('POST', '/api/admin/reindex');
  assert.equal(reindex.status, 202, reindex.text);
  const id = reindex.body.job_id as string;
  await switches.reached;
  try {
    await whileSwitching(id);
  } finally {
    switches.release();
  }
  const reindexed = await waitForJob(api.request, id);
  assert.equal(reindexed.state, 'completed', reindexed.error);
  assert.equal(reindexed.result.vectors, 1);
  return id;
}

async function refusedCancel(api: TestApp, id: string): Promise<void> {
  const cancel = await api.request('DELETE', `/api/jobs/${id}`);
  assert.equal(cancel.status, 409, cancel.text);
  assert.equal(cancel.body.error, 'not_cancellable');
  assert.match(cancel.body.message, PAST_CANCELLING);
}

describe('a cancel while a reindex switches to the new vectors: refused at once, the reindex run to its end', () => {
  describe('SQLite, two apis on one file', () => {
    const dir = makeTempDir();
    let api: TestApp;
    let other: TestApp;
    before(async () => {
      api = await startTestApp({}, dir);
      other = await startTestApp({}, dir);
    });
    after(async () => {
      await other?.close({ keepDir: true });
      await api?.close();
    });

    it('through either api, also while the switch holds the write lock: 409, then completed', async () => {
      const id = await reindexWhileSwitching(api, api.app, async (switching) => {
        await refusedCancel(api, switching);
        // As the switch does: its transaction holds the file's write lock until it commits. Before, a cancel
        // recorded then waited for that lock (busy_timeout, 5 s) and failed as busy, or was answered
        // `cancelling` for a reindex that went on to complete.
        const lock = openSqliteDatabase(join(dir, 'engram.db'), {});
        lock.exec('BEGIN IMMEDIATE');
        try {
          await refusedCancel(api, switching);
          await refusedCancel(other, switching);
        } finally {
          lock.exec('ROLLBACK');
          lock.close();
        }
      });
      assert.equal((await other.request('GET', `/api/jobs/${id}`)).body.state, 'completed');
    });
  });

  describe('PostgreSQL', () => {
    let postgres: TestPostgres;
    let api: TestApp;
    before(async () => {
      postgres = await startTestPostgres();
      api = await startTestApp({ MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url });
    });
    after(async () => {
      await api?.close();
      await postgres?.close();
    });

    it('through the api running it: 409, then completed', async () => {
      await reindexWhileSwitching(api, api.app, (id) => refusedCancel(api, id));
    });
  });

  describe('BullMQ, the worker running it', () => {
    let harness: JobsHarness;
    before(async () => {
      harness = await startJobsHarness('bullmq');
    });
    after(() => harness?.close());

    it('through the api: 409, then completed', async () => {
      await reindexWhileSwitching(harness.api, harness.worker!, (id) => refusedCancel(harness.api, id));
    });
  });
});
