import { INestApplicationContext } from '@nestjs/common';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Authenticator } from '../auth/authenticator';
import { FAILURE_LIMITER } from '../auth/failure-limiter';
import { AppConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { EngramMetrics } from '../metrics/engram-metrics';
import { workerProbes } from '../worker/run-worker';
import { startWorkerHttpServer } from '../worker/worker-http.server';
import { JobName } from './job.types';
import { holdRestoreLock, JobsHarness, runJob, startJobsHarness, waitForJob } from '../testing/job-helpers';
import { openSse } from '../testing/sse-client';
import { waitFor } from '../testing/wait-for';

const DYING_WORKER = join(__dirname, '..', 'testing', 'dying-worker.child.js');
/** Stalls BullMQ lets a job through (the worker's maxStalledCount); the one after fails it. */
const STALLS_ALLOWED = 3;
/** Why a reindex that has begun to switch refuses a cancel (the reindex's own words). */
const REINDEX_SWITCHING = 'the reindex is switching to the new vectors and must finish';

/**
 * Starts a worker that takes the job (and, given `finalStep`, enters that step) and kills it with SIGKILL while
 * it runs it, once `meanwhile` has run.
 */
function killWhileRunning(
  redisUrl: string,
  prefix: string,
  jobId: string,
  { meanwhile = async () => undefined, finalStep }: { meanwhile?: () => Promise<void>; finalStep?: string } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [DYING_WORKER, redisUrl, prefix, ...(finalStep === undefined ? [] : [finalStep])];
    const worker = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    let running = false;
    worker.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (running || !output.includes(`running ${jobId}\n`)) return;
      running = true;
      meanwhile().then(
        () => worker.kill('SIGKILL'),
        (error) => {
          worker.kill('SIGKILL');
          reject(error);
        },
      );
    });
    worker.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    worker.on('error', reject);
    worker.on('exit', (code, signal) =>
      signal === 'SIGKILL'
        ? resolve()
        : reject(new Error(`the worker exited (${code}) before it was killed: ${errors}`)),
    );
  });
}

/** engram_jobs_total's conflict scans ended with `outcome`, as the worker's GET /metrics answers on its own port (loopback). */
async function scansCounted(worker: INestApplicationContext, config: AppConfig, outcome: string): Promise<number> {
  const deps = {
    authenticator: worker.get(Authenticator),
    limiter: worker.get(FAILURE_LIMITER),
    metrics: worker.get(EngramMetrics),
  };
  const port0 = { ...config, worker: { httpPort: 0 } };
  const server = await startWorkerHttpServer(port0, workerProbes(worker), deps, '127.0.0.1');
  try {
    const { port } = server.server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const counted = text
      .split('\n')
      .find(
        (line) =>
          line.startsWith('engram_jobs_total{') &&
          line.includes(`name="${JobName.ConflictScan}"`) &&
          line.includes(`outcome="${outcome}"`),
      );
    return counted === undefined ? 0 : Number(counted.slice(counted.lastIndexOf(' ') + 1));
  } finally {
    await server.close();
  }
}

describe('a job whose worker is killed every time it runs it (BullMQ)', () => {
  let harness: JobsHarness;
  before(async () => {
    harness = await startJobsHarness('bullmq', { ENGRAM_JOBS_KEEP_FINISHED: '1' });
  });
  after(() => harness.close());

  /** A conflict scan queued while no worker runs, and the deployment's key prefix. */
  async function scanWithoutWorker(): Promise<{ id: string; prefix: string }> {
    await harness.stopWorker();
    const queued = await harness.api.request('POST', '/api/conflicts/scan');
    assert.equal(queued.status, 202, queued.text);
    return { id: queued.body.job_id as string, prefix: harness.api.app.get(RedisKeys).prefix };
  }

  it('ends failed as interrupted once stalled too often: audited, counted on /metrics, filed among its namespace’s finished jobs and trimmed like them', async () => {
    const { id, prefix } = await scanWithoutWorker();
    for (let kill = 0; kill <= STALLS_ALLOWED; kill++) await killWhileRunning(harness.redis!.url, prefix, id);

    // The next worker's stalled-job check finds the job's lock gone once more and fails it.
    const stream = await openSse(`${harness.api.url}/api/events/stream?frames=named`);
    await harness.startWorker();
    const failed = await waitForJob(harness.api.request, id);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error_code, 'interrupted');
    assert.match(failed.error, /^Interrupted: the worker running this job stopped/);
    const announced = (event: { event: string; data: any }) =>
      event.event === 'job_failed' && event.data.payload.job_id === id;
    try {
      await stream.waitFor(() => stream.named().some(announced));
    } finally {
      stream.close();
    }
    // Counted by the worker that failed it (announced after counting, so the count is in by now).
    assert.equal(await scansCounted(harness.worker!, harness.api.config, 'failed'), 1);

    const audited = await harness.api.request('GET', '/api/admin/audit?action=conflicts.scan&limit=50');
    assert.equal(audited.status, 200, audited.text);
    const ends = audited.body.events.filter((entry: any) => entry.target === id && entry.outcome !== 'requested');
    assert.deepEqual(
      ends.map((entry: any) => [entry.outcome, entry.namespace]),
      [['failure', 'default']],
    );

    // One finished job kept per namespace: the next scan's end trims the failed one away, as any other.
    const next = await runJob(harness.api.request, '/api/conflicts/scan');
    assert.equal(next.state, 'completed', next.error);
    const deadline = Date.now() + 10_000;
    while ((await harness.api.request('GET', `/api/jobs/${id}`)).status !== 404) {
      assert.ok(Date.now() < deadline, 'the failed job is still kept past ENGRAM_JOBS_KEEP_FINISHED');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });

  it('ends a job cancelled while its worker ran it, the worker then killed, as cancelled without running it again', async () => {
    const { id, prefix } = await scanWithoutWorker();
    await killWhileRunning(harness.redis!.url, prefix, id, {
      meanwhile: async () => {
        const cancel = await harness.api.request('DELETE', `/api/jobs/${id}`);
        assert.deepEqual([cancel.status, cancel.body.status], [200, 'cancelling'], cancel.text);
      },
    });

    // Its scan of an empty namespace has no safe point: run again, it would complete.
    await harness.startWorker();
    const ended = await waitForJob(harness.api.request, id);
    assert.deepEqual([ended.state, ended.error, ended.error_code], ['cancelled', 'Cancelled on request', undefined]);
    // Counted by the worker that ended it, as a run stopped by its cancel is (announced after counting).
    assert.equal(await scansCounted(harness.worker!, harness.api.config, 'cancelled'), 1);
    const audited = await harness.api.request('GET', '/api/admin/audit?action=conflicts.scan&limit=50');
    const ends = audited.body.events.filter((entry: any) => entry.target === id && entry.outcome !== 'requested');
    assert.deepEqual(
      ends.map((entry: any) => [entry.outcome, entry.details.error]),
      [['failure', 'Cancelled on request']],
    );
  });
  it('a reindex whose worker was killed in its final step is cancellable again when retried, until it reaches that step', async () => {
    await harness.stopWorker();
    const stored = await harness.api.request('POST', '/api/memories', { body: { content: 'to embed again' } });
    assert.equal(stored.status, 201, stored.text);
    const queued = await harness.api.request('POST', '/api/admin/reindex');
    assert.equal(queued.status, 202, queued.text);
    const id = queued.body.job_id as string;
    await killWhileRunning(harness.redis!.url, harness.api.app.get(RedisKeys).prefix, id, {
      finalStep: REINDEX_SWITCHING,
    });

    // The retry starts from the start, and waits at a safe point for the store held as a restore holds it.
    const release = await holdRestoreLock(harness.api.config);
    try {
      await harness.startWorker();
      const stage = async () => (await harness.api.request('GET', `/api/jobs/${id}`)).body.stage as string | undefined;
      await waitFor(async () => /^waiting for /.test((await stage()) ?? ''), 'the retried reindex to wait', 60_000);
      // Before, the killed attempt's step still refused it: 409 "the reindex is switching … and must finish".
      const cancel = await harness.api.request('DELETE', `/api/jobs/${id}`);
      assert.deepEqual([cancel.status, cancel.body.status], [200, 'cancelling'], cancel.text);
    } finally {
      await release();
    }
    const ended = await waitForJob(harness.api.request, id);
    assert.deepEqual([ended.state, ended.error], ['cancelled', 'Cancelled on request']);
  });
});
