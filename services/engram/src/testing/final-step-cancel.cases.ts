import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { JobsHarness, startJobsHarness, waitForJob } from './job-helpers';
import { startTestPostgres, TestPostgres } from './postgres-test-server';
import { makeTempDir, startTestApp, TestApp } from './test-app';

/** A job's step that must finish once begun (JobContext.enterFinalStep), as a spec holds and queues it. */
export interface FinalStepCase {
  /** The step, as the describe titles name it: "a restore swaps the store". */
  title: string;
  /** The refusal's message. */
  refused: RegExp;
  /** Holds the step where it begins in `runner` (an api, or a worker) until released. */
  hold(runner: INestApplicationContext): { reached: Promise<void>; release(): void };
  /** Queues the job through `api`; answers its id. */
  queue(api: TestApp): Promise<string>;
}

/**
 * Holds calls of `object[method]` where they begin, until released: a spec acts while the step runs (the
 * real method, run once released).
 */
export function holdCalls<T extends object, K extends keyof T>(
  object: T,
  method: K,
): { reached: Promise<void>; release(): void } {
  const real = (object[method] as (...args: unknown[]) => Promise<unknown>).bind(object);
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  object[method] = (async (...args: unknown[]) => {
    reach();
    await released;
    return real(...args);
  }) as T[K];
  return { reached, release };
}

/**
 * A cancel while the step runs, refused at once (409) and the job run to its end: on SQLite through the api
 * running it and another api on the file, also while a connection holds the write lock as the step's
 * transaction does; on PostgreSQL (PGlite); with BullMQ, the worker running it.
 */
export function describeFinalStepCancels(step: FinalStepCase): void {
  async function whileHeld(api: TestApp, runner: INestApplicationContext, act: (id: string) => Promise<void>) {
    const held = step.hold(runner);
    const id = await step.queue(api);
    await held.reached;
    try {
      await act(id);
    } finally {
      held.release();
    }
    const ended = await waitForJob(api.request, id);
    assert.equal(ended.state, 'completed', ended.error);
    return id;
  }

  async function refusedCancel(api: TestApp, id: string): Promise<void> {
    const cancel = await api.request('DELETE', `/api/jobs/${id}`);
    assert.equal(cancel.status, 409, cancel.text);
    assert.equal(cancel.body.error, 'not_cancellable');
    assert.match(cancel.body.message, step.refused);
  }

  describe(`a cancel while ${step.title}: refused at once, the job run to its end`, () => {
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

      it('through either api, also while the step holds the write lock: 409, then completed', async () => {
        const id = await whileHeld(api, api.app, async (held) => {
          await refusedCancel(api, held);
          // As the step does: its transaction holds the file's write lock until it commits. Before, a cancel
          // recorded then waited for that lock (busy_timeout, 5 s) and failed as busy, or was answered
          // `cancelling` for a job that went on to complete.
          const lock = openSqliteDatabase(join(dir, 'engram.db'), {});
          lock.exec('BEGIN IMMEDIATE');
          try {
            await refusedCancel(api, held);
            await refusedCancel(other, held);
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
        await whileHeld(api, api.app, (id) => refusedCancel(api, id));
      });
    });

    describe('BullMQ, the worker running it', () => {
      let harness: JobsHarness;
      before(async () => {
        harness = await startJobsHarness('bullmq');
      });
      after(() => harness?.close());

      it('through the api: 409, then completed', async () => {
        await whileHeld(harness.api, harness.worker!, (id) => refusedCancel(harness.api, id));
      });
    });
  });
}
