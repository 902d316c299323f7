import { INestApplicationContext } from '@nestjs/common';
import assert from 'node:assert/strict';
import { AppConfig } from '../config/config.types';
import { PostgresLockRepository } from '../storage/locks/postgres-lock.repository';
import { SqliteLockRepository } from '../storage/locks/sqlite-lock.repository';
import { StoreLocks } from '../storage/locks/store-locks';
import { lockFolderOf } from '../storage/sqlite/sqlite.stores';
import { createWorkerContext } from '../worker/worker-context';
import { startTestRedis, TestRedis } from './redis-server';
import { startTestApp, TestApp, TestResponse } from './test-app';

type Requester = (method: string, path: string, options?: { body?: unknown }) => Promise<TestResponse>;

/** Polls GET /api/jobs/:id until the job ends; fails the test after `timeoutMs`. */
export async function waitForJob(request: Requester, id: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request('GET', `/api/jobs/${id}`);
    assert.equal(response.status, 200, `GET /api/jobs/${id}: ${response.text}`);
    if (['completed', 'failed', 'cancelled'].includes(response.body.state)) return response.body;
    if (Date.now() > deadline) assert.fail(`job ${id} still ${response.body.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Queues a job through its REST route and waits for it to end. */
export async function runJob(request: Requester, path: string, body?: unknown): Promise<any> {
  const queued = await request('POST', path, body === undefined ? {} : { body });
  assert.equal(queued.status, 202, `${path}: ${queued.text}`);
  return waitForJob(request, queued.body.job_id);
}

/**
 * A client storing new memories one after another until stopped: `acknowledged` holds the contents the
 * api answered 201 for, in order. For specs that a write acknowledged during some job is never lost.
 */
export function keepWriting(request: Requester): { acknowledged: string[]; stop(): Promise<void> } {
  const acknowledged: string[] = [];
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      const content = `written during the job, number ${i}`;
      const stored = await request('POST', '/api/memories', { body: { content } });
      if (stored.status === 201) acknowledged.push(content);
    }
  })();
  return {
    acknowledged,
    async stop() {
      writing = false;
      await writer;
    },
  };
}

export type JobMode = 'inline' | 'bullmq';

/** An api (and, with Redis, a worker context in this process on the same database) for job tests. */
export interface JobsHarness {
  api: TestApp;
  redis?: TestRedis;
  worker?: INestApplicationContext;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startJobsHarness(mode: JobMode, env: Record<string, string> = {}): Promise<JobsHarness> {
  const redis = mode === 'bullmq' ? await startTestRedis() : undefined;
  const api = await startTestApp({ ...env, ...(redis ? { REDIS_URL: redis.url } : {}) });
  const harness: JobsHarness = {
    api,
    redis,
    async startWorker() {
      if (redis && !harness.worker) harness.worker = await createWorkerContext(api.config, 'worker', false).then(init);
    },
    async stopWorker() {
      await harness.worker?.close();
      harness.worker = undefined;
    },
    async close() {
      await harness.stopWorker();
      await api.close();
      await redis?.close();
    },
  };
  await harness.startWorker();
  return harness;
}

async function init(context: INestApplicationContext): Promise<INestApplicationContext> {
  await context.init();
  return context;
}

/** The deployment's locks as another process takes them: its own connections, the api's backend. */
export function storeLocksOf({ storage }: AppConfig): StoreLocks {
  return new StoreLocks(
    storage.postgres
      ? new PostgresLockRepository(storage.postgres)
      : new SqliteLockRepository(lockFolderOf(storage.sqlitePath)),
  );
}

/**
 * Keeps queued jobs from finishing until the returned function is called: without Redis a restore held
 * elsewhere (the store lock, in the api's own backend) keeps the running job (say a backup) waiting, and the jobs queued after it
 * wait behind it; with Redis no worker runs.
 */
export async function blockJobs(harness: JobsHarness): Promise<() => Promise<void>> {
  if (harness.redis) {
    await harness.stopWorker();
    return () => harness.startWorker();
  }
  return holdRestoreLock(harness.api.config);
}

/**
 * Holds the store as a restore does, from another process's locks, until the returned function is called:
 * the jobs that take the store (backups, imports, reindexing) wait for it at their safe points meanwhile.
 */
export async function holdRestoreLock(config: AppConfig): Promise<() => Promise<void>> {
  let release!: () => void;
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const restore = storeLocksOf(config).restore(() => {
    held();
    return new Promise<void>((resolve) => (release = resolve));
  });
  await holding;
  return async () => {
    release();
    await restore;
  };
}
