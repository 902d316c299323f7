import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { EchoPayload, EchoResult } from '../testing/echo.worker';
import { WorkerPool } from './worker-pool';

const ECHO_WORKER = join(__dirname, '..', 'testing', 'echo.worker.js');

function echoPool(size: number, workerData?: unknown, closeGraceMs?: number): WorkerPool<EchoPayload, EchoResult> {
  return new WorkerPool<EchoPayload, EchoResult>(ECHO_WORKER, size, workerData, closeGraceMs);
}

describe('WorkerPool', () => {
  it('spreads concurrent jobs over every thread and answers each job with its own result', async () => {
    const pool = echoPool(3);
    await pool.start();
    assert.equal(pool.threads, 3);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => pool.run({ text: `job ${i}`, delayMs: 20 })),
    );
    assert.deepEqual(
      results.map((result) => result.text),
      Array.from({ length: 12 }, (_, i) => `job ${i}`),
    );
    assert.equal(new Set(results.map((result) => result.threadId)).size, 3);
    await pool.close();
  });

  it('rejects one job whose worker reports an error and keeps serving', async () => {
    const pool = echoPool(1);
    await pool.start();
    await assert.rejects(pool.run({ text: 'bad', fail: true }), /cannot echo bad/);
    assert.equal((await pool.run({ text: 'good' })).text, 'good');
    await pool.close();
  });

  it('replaces a worker that dies: its job fails, queued and later jobs still run', async () => {
    const pool = echoPool(1);
    await pool.start();
    const first = (await pool.run({ text: 'before' })).threadId;
    const dying = pool.run({ text: 'dies', exit: true });
    const queued = pool.run({ text: 'queued' });
    await assert.rejects(dying, /exited with code 3/);
    const after = await queued;
    assert.equal(after.text, 'queued');
    assert.notEqual(after.threadId, first);
    assert.equal(pool.threads, 1);
    await pool.close();
  });

  it('starts urgent jobs before every queued normal job', async () => {
    const pool = echoPool(1);
    await pool.start();
    const finished: string[] = [];
    const run = (text: string, priority: 'urgent' | 'normal') =>
      pool.run({ text, delayMs: 10 }, [], priority).then((result) => finished.push(result.text));
    const jobs = [
      run('running', 'normal'),
      run('bulk 1', 'normal'),
      run('bulk 2', 'normal'),
      run('query 1', 'urgent'),
      run('query 2', 'urgent'),
    ];
    await Promise.all(jobs);
    assert.deepEqual(finished, ['running', 'query 1', 'query 2', 'bulk 1', 'bulk 2']);
    await pool.close();
  });

  it('fails start() when a worker cannot load', async () => {
    await assert.rejects(echoPool(2, { failToLoad: true }).start(), /scripted load failure/);
  });

  it('lets a worker that failed to load finish the work it still had in flight, and end on its own', async () => {
    // Stopping a thread inside onnxruntime's native code can abort the process: the pool must not stop it.
    const dir = mkdtempSync(join(tmpdir(), 'engram-worker-pool-'));
    const marker = join(dir, 'finished');
    try {
      await assert.rejects(
        echoPool(1, { failToLoad: true, afterFailure: { delayMs: 300, marker } }).start(),
        /scripted load failure/,
      );
      for (let waited = 0; !existsSync(marker); waited += 20) {
        assert.ok(waited < 10_000, 'the failed worker was stopped before its work in flight finished');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() rejects pending and later jobs, and stops a thread still busy after the grace period', async () => {
    const pool = echoPool(1, undefined, 200);
    await pool.start();
    const running = assert.rejects(pool.run({ text: 'slow', delayMs: 5_000 }), /closed/);
    const waiting = assert.rejects(pool.run({ text: 'waiting' }), /closed/);
    const started = Date.now();
    await pool.close();
    assert.ok(Date.now() - started < 4_000, 'the busy thread was stopped after the grace period, not awaited');
    assert.equal(pool.threads, 0);
    await running;
    await waiting;
    await assert.rejects(pool.run({ text: 'late' }), /closed/);
  });

  it('close() lets a busy worker finish its job before stopping the thread', async () => {
    // Stopping a thread inside onnxruntime's run aborts the process: close() must wait for the job to end.
    const dir = mkdtempSync(join(tmpdir(), 'engram-worker-pool-'));
    const marker = join(dir, 'finished');
    try {
      const pool = echoPool(1);
      await pool.start();
      const running = assert.rejects(pool.run({ text: 'busy', delayMs: 300, marker }), /closed/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await pool.close();
      assert.ok(existsSync(marker), 'the thread was stopped before its job ended');
      assert.equal(pool.threads, 0);
      await running;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
