import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { INestApplicationContext } from '@nestjs/common';
import { JobsHarness, runJob, startJobsHarness, waitForJob } from '../testing/job-helpers';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';
import { DatabaseBackupTarget } from './database-backup.target';

const PAST_CANCELLING =
  /^Job \S+ can no longer be cancelled: the restore is swapping the backup into the store and must finish$/;

/**
 * Holds the restores `runner` (an api, or a worker) runs where the swap begins (the backend's own restore,
 * run once released), so a spec can act while a restore is swapping.
 */
function holdSwaps(runner: INestApplicationContext): { reached: Promise<void>; release(): void } {
  const target = runner.get(DatabaseBackupTarget, { strict: false });
  const swap = target.restore.bind(target);
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  target.restore = async (path, keepCurrentAt) => {
    reach();
    await released;
    return swap(path, keepCurrentAt);
  };
  return { reached, release };
}

/**
 * Stores a memory, backs it up and restores that backup through `api`, its swap held in `runner` while
 * `whileSwapping` acts on the restore job; then wants the restore completed, and answers its id.
 */
async function restoreWhileSwapping(
  api: TestApp,
  runner: INestApplicationContext,
  whileSwapping: (id: string) => Promise<void>,
): Promise<string> {
  const swaps = holdSwaps(runner);
  const stored = await api.request('POST', '/api/memories', { body: { content: 'kept in the backup' } });
  assert.equal(stored.status, 201, stored.text);
  const backup = await runJob(api.request, '/api/admin/backup');
  assert.equal(backup.state, 'completed', backup.error);
  const restore = await api.request('POST', '/api/admin/restore', { body: { backup_id: backup.result.backup_id } });
  assert.equal(restore.status, 202, restore.text);
  const id = restore.body.job_id as string;
  await swaps.reached;
  try {
    await whileSwapping(id);
  } finally {
    swaps.release();
  }
  const restored = await waitForJob(api.request, id);
  assert.equal(restored.state, 'completed', restored.error);
  return id;
}

async function refusedCancel(api: TestApp, id: string): Promise<void> {
  const cancel = await api.request('DELETE', `/api/jobs/${id}`);
  assert.equal(cancel.status, 409, cancel.text);
  assert.equal(cancel.body.error, 'not_cancellable');
  assert.match(cancel.body.message, PAST_CANCELLING);
}

describe('a cancel while a restore swaps the store: refused at once, the restore run to its end', () => {
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

    it('through the api running it and through another while the swap holds the write lock: 409, then completed', async () => {
      const id = await restoreWhileSwapping(api, api.app, async (swapping) => {
        await refusedCancel(api, swapping);
        // As the swap does: its transaction holds the file's write lock until it commits. Before, the other
        // api's cancel waited for that lock (busy_timeout, 5 s) and then failed as busy, or was answered
        // `cancelling` for a restore that went on to complete.
        const swap = openSqliteDatabase(join(dir, 'engram.db'), {});
        swap.exec('BEGIN IMMEDIATE');
        try {
          await refusedCancel(other, swapping);
        } finally {
          swap.exec('ROLLBACK');
          swap.close();
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
      await restoreWhileSwapping(api, api.app, (id) => refusedCancel(api, id));
    });
  });

  describe('BullMQ, the worker running it', () => {
    let harness: JobsHarness;
    before(async () => {
      harness = await startJobsHarness('bullmq');
    });
    after(() => harness?.close());

    it('through the api: 409, then completed', async () => {
      await restoreWhileSwapping(harness.api, harness.worker!, (id) => refusedCancel(harness.api, id));
    });
  });
});
