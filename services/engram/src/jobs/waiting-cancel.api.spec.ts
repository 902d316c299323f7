import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { blockJobs, JobsHarness, startJobsHarness, waitForJob } from '../testing/job-helpers';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { startTestApp, TestApp } from '../testing/test-app';

/**
 * A conflict scan queued behind a backup held at the restore lock, so it waits on the api that accepted
 * it; `unblock` lets the backup run.
 */
async function waitingScan(harness: JobsHarness): Promise<{ id: string; unblock(): Promise<void> }> {
  const unblock = await blockJobs(harness);
  const backup = await harness.api.request('POST', '/api/admin/backup');
  assert.equal(backup.status, 202, backup.text);
  const scan = await harness.api.request('POST', '/api/conflicts/scan');
  assert.equal(scan.status, 202, scan.text);
  assert.equal((await harness.api.request('GET', `/api/jobs/${scan.body.job_id}`)).body.state, 'waiting');
  return { id: scan.body.job_id as string, unblock };
}

/** Cancels the waiting job on its own api; wants `cancelled` answered and stored, and the job never run. */
async function cancelledAndStored(harness: JobsHarness, other: TestApp, id: string): Promise<void> {
  const cancel = await harness.api.request('DELETE', `/api/jobs/${id}`);
  assert.equal(cancel.status, 200, cancel.text);
  assert.equal(cancel.body.status, 'cancelled');
  // Another api on the store reads the stored job.
  const stored = (await other.request('GET', `/api/jobs/${id}`)).body;
  assert.equal(stored.state, 'cancelled');
  assert.equal(stored.started_at ?? null, null);
}

describe('cancelling a job still waiting on its own api: answered as stored', () => {
  describe('SQLite', () => {
    let harness: JobsHarness;
    let other: TestApp;
    before(async () => {
      // A short busy_timeout: the answer to a busy store is the point, not how long it waits.
      harness = await startJobsHarness('inline', { MCP_MEMORY_SQLITE_PRAGMAS: 'busy_timeout=100' });
      other = await startTestApp({}, harness.api.dir);
    });
    after(async () => {
      await other?.close({ keepDir: true });
      await harness?.close();
    });

    it('while another process holds the write lock: 503 database_busy and still waiting; then cancelled and stored', async () => {
      const scan = await waitingScan(harness);
      try {
        // As a restore swap or a reindex switch does. Before, the cancel was answered `cancelled` while its
        // end was not stored (logged and dropped): the store still said waiting.
        const lock = new Database(harness.api.config.storage.sqlitePath);
        lock.exec('BEGIN IMMEDIATE');
        try {
          const busy = await harness.api.request('DELETE', `/api/jobs/${scan.id}`);
          assert.equal(busy.status, 503, busy.text);
          assert.equal(busy.body.error, 'database_busy');
          assert.equal(busy.headers.get('retry-after'), '5');
        } finally {
          lock.exec('ROLLBACK');
          lock.close();
        }
        assert.equal((await harness.api.request('GET', `/api/jobs/${scan.id}`)).body.state, 'waiting');
        await cancelledAndStored(harness, other, scan.id);
      } finally {
        await scan.unblock();
      }
      assert.equal((await waitForJob(harness.api.request, scan.id)).state, 'cancelled');
    });
  });

  describe('PostgreSQL', () => {
    let postgres: TestPostgres;
    let harness: JobsHarness;
    let other: TestApp;
    before(async () => {
      postgres = await startTestPostgres();
      const env = { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url };
      harness = await startJobsHarness('inline', env);
      other = await startTestApp(env);
    });
    after(async () => {
      await other?.close();
      await harness?.close();
      await postgres?.close();
    });

    it('cancelled and stored, never run', async () => {
      const scan = await waitingScan(harness);
      try {
        await cancelledAndStored(harness, other, scan.id);
      } finally {
        await scan.unblock();
      }
      assert.equal((await waitForJob(harness.api.request, scan.id)).state, 'cancelled');
    });
  });
});
