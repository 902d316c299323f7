import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { blockJobs, JobsHarness, startJobsHarness, waitForJob } from '../testing/job-helpers';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { startTestApp, TestApp } from '../testing/test-app';
import { waitFor } from '../testing/wait-for';
import { JobView } from './job.types';

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

/**
 * The store, reached as a second client: a real trigger there refuses to store a job as cancelled while it
 * exists; `stored` reads the job's row as stored, whichever api is asked.
 */
interface RefusingStore {
  refuse(): Promise<void>;
  allow(): Promise<void>;
  stored(id: string): Promise<JobView>;
}

const REFUSED = 'the spec refuses to store a cancelled end';

/**
 * Cancels the waiting job on its own api while the store refuses its end: the cancel is recorded first, so
 * it is answered `cancelled` and the job never runs, but the store, which the other apis read, still says
 * waiting. Once the store takes writes again, the end is stored without a restart or a take-over.
 */
async function cancelledThoughItsEndWasRefused(harness: JobsHarness, id: string, store: RefusingStore) {
  await store.refuse();
  try {
    const cancel = await harness.api.request('DELETE', `/api/jobs/${id}`);
    assert.deepEqual([cancel.status, cancel.body.status], [200, 'cancelled'], cancel.text);
    assert.equal((await store.stored(id)).state, 'waiting');
  } finally {
    await store.allow();
  }
  // Before, the end was logged as not stored and left so until this api restarted or was taken over.
  await waitFor(async () => (await store.stored(id)).state !== 'waiting', 'the cancelled end stored', 30_000);
  const stored = await store.stored(id);
  assert.deepEqual([stored.state, stored.started_at ?? null], ['cancelled', null]);
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

    it('its end refused by the store: answered cancelled, then stored cancelled without a restart', async () => {
      const scan = await waitingScan(harness);
      const db = new Database(harness.api.config.storage.sqlitePath);
      db.pragma('busy_timeout = 5000');
      try {
        await cancelledThoughItsEndWasRefused(harness, scan.id, {
          async refuse() {
            db.exec(`CREATE TRIGGER refuse_cancelled_end BEFORE UPDATE OF state ON inline_jobs
                       WHEN NEW.state = 'cancelled' BEGIN SELECT RAISE(ABORT, '${REFUSED}'); END`);
          },
          async allow() {
            db.exec('DROP TRIGGER IF EXISTS refuse_cancelled_end');
          },
          stored: async (id) =>
            JSON.parse(db.prepare('SELECT view FROM inline_jobs WHERE id = ?').pluck().get(id) as string),
        });
      } finally {
        db.close();
        await scan.unblock();
      }
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

  // Alone on its store: PGlite serves every connection on one session, where a second api would take
  // this one's jobs over (and end the job) as if it had stopped.
  describe('PostgreSQL, the api alone on its store', () => {
    let postgres: TestPostgres;
    let harness: JobsHarness;
    before(async () => {
      postgres = await startTestPostgres();
      harness = await startJobsHarness('inline', {
        MCP_MEMORY_STORAGE_BACKEND: 'postgres',
        DATABASE_URL: postgres.url,
      });
    });
    after(async () => {
      await harness?.close();
      await postgres?.close();
    });

    it('its end refused by the store: answered cancelled, then stored cancelled without a restart', async () => {
      const scan = await waitingScan(harness);
      const db = new pg.Client({ connectionString: postgres.url });
      await db.connect();
      try {
        await cancelledThoughItsEndWasRefused(harness, scan.id, {
          // As a lock or statement timeout refuses it (lock_not_available), raised by a trigger.
          async refuse() {
            await db.query(`CREATE FUNCTION refuse_cancelled_end() RETURNS trigger LANGUAGE plpgsql AS $$
                              BEGIN RAISE EXCEPTION '${REFUSED}' USING ERRCODE = 'lock_not_available'; END $$`);
            await db.query(`CREATE TRIGGER refuse_cancelled_end BEFORE UPDATE ON inline_jobs FOR EACH ROW
                              WHEN (NEW.state = 'cancelled') EXECUTE FUNCTION refuse_cancelled_end()`);
          },
          async allow() {
            await db.query('DROP TRIGGER IF EXISTS refuse_cancelled_end ON inline_jobs');
            await db.query('DROP FUNCTION IF EXISTS refuse_cancelled_end()');
          },
          async stored(id) {
            const { rows } = await db.query<{ view: string }>('SELECT view FROM inline_jobs WHERE id = $1', [id]);
            return JSON.parse(rows[0].view);
          },
        });
      } finally {
        await db.end();
        await scan.unblock();
      }
    });
  });
});
