import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { STORE_WIDE } from '../events/engram-event';
import { JobName, JobView, QueueName } from '../jobs/job.types';
import { OpenedStorage, postgresAdapter, sqliteAdapter } from '../testing/storage-adapters';

const MODEL = { modelId: 'job-record-contract-model', dimension: 4 };
const OWNER = 'api-a';

function job(id: string, state: JobView['state'], fields: Partial<JobView> = {}): JobView {
  return {
    id,
    name: JobName.Backup,
    queue: QueueName.Maintenance,
    state,
    progress: 0,
    data: { reason: 'manual' },
    attempts: 0,
    created_at: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

for (const adapter of [sqliteAdapter(), postgresAdapter()]) {
  describe(`Job record store contract: ${adapter.name}`, () => {
    let store: OpenedStorage;
    before(() => adapter.start());
    after(() => adapter.stop());
    beforeEach(async () => {
      await adapter.wipe();
      store = await adapter.open(MODEL);
    });
    afterEach(() => store.close());

    it('keeps each job as last saved, in the order first saved, read again by another connection', async () => {
      await store.jobRecords.save(job('job-a', 'waiting'), OWNER);
      await store.jobRecords.save(job('job-b', 'waiting'), OWNER);
      await store.jobRecords.save(job('job-a', 'completed', { progress: 100, result: { bytes: 42 } }), OWNER);
      const reopened = await adapter.open(MODEL);
      try {
        assert.deepEqual(await reopened.jobRecords.all(), [
          job('job-a', 'completed', { progress: 100, result: { bytes: 42 } }),
          job('job-b', 'waiting'),
        ]);
      } finally {
        await reopened.close();
      }
    });

    it('forgets ended jobs but the newest it keeps, never a waiting or running one', async () => {
      await store.jobRecords.save(job('job-waiting', 'waiting'), OWNER);
      for (const id of ['job-1', 'job-2', 'job-3']) await store.jobRecords.save(job(id, 'failed'), OWNER);
      await store.jobRecords.save(job('job-active', 'active'), OWNER);
      await store.jobRecords.pruneEnded(STORE_WIDE, 2);
      assert.deepEqual(
        (await store.jobRecords.all()).map((view) => view.id),
        ['job-waiting', 'job-2', 'job-3', 'job-active'],
      );
    });

    it('answers a job by id and the owners that have jobs, whichever connection stored them', async () => {
      await store.jobRecords.save(job('job-a', 'active'), 'api-a');
      await store.jobRecords.save(job('job-b', 'completed'), 'api-b');
      const other = await adapter.open(MODEL);
      try {
        assert.deepEqual(await other.jobRecords.find('job-b'), job('job-b', 'completed'));
        assert.equal(await other.jobRecords.find('job-none'), undefined);
        assert.deepEqual((await other.jobRecords.owners()).sort(), ['api-a', 'api-b']);
      } finally {
        await other.close();
      }
    });

    it("takes over a stopped owner's jobs once: its unended ones ended, a taker racing for them gets none", async () => {
      await store.jobRecords.save(job('job-done', 'completed'), 'api-dead');
      await store.jobRecords.save(job('job-running', 'active'), 'api-dead');
      await store.jobRecords.save(job('job-alive', 'active'), 'api-alive');
      await store.jobRecords.save(job('job-waiting', 'waiting'), 'api-dead');
      const interrupt = (taker: string) => (view: JobView) =>
        ({ ...view, state: 'failed', error_code: 'interrupted', error: `ended by ${taker}` }) as JobView;
      const racer = await adapter.open(MODEL);
      try {
        const outcomes = await Promise.all([
          store.jobRecords.takeOver('api-dead', 'api-one', interrupt('api-one')),
          racer.jobRecords.takeOver('api-dead', 'api-two', interrupt('api-two')),
        ]);
        const [winner, loser] = outcomes[0].jobs.length > 0 ? outcomes : [outcomes[1], outcomes[0]];
        assert.deepEqual(loser, { jobs: [], interrupted: [] }, 'the second taker finds them taken');
        const taker = winner.interrupted[0]?.error?.slice('ended by '.length);
        const ended = (id: string) => job(id, 'failed', { error_code: 'interrupted', error: `ended by ${taker}` });
        assert.deepEqual(winner.jobs, [job('job-done', 'completed'), ended('job-running'), ended('job-waiting')]);
        assert.deepEqual(
          winner.interrupted.map((view) => view.id),
          ['job-running', 'job-waiting'],
        );
        assert.deepEqual(
          (await racer.jobRecords.all()).map((view) => [view.id, view.state]),
          [
            ['job-done', 'completed'],
            ['job-running', 'failed'],
            ['job-alive', 'active'],
            ['job-waiting', 'failed'],
          ],
          'stored as ended, in their places; another owner untouched',
        );
        assert.deepEqual((await racer.jobRecords.owners()).sort(), [taker, 'api-alive'].sort());
      } finally {
        await racer.close();
      }
    });

    it("keeps each namespace's newest ended jobs: another namespace's many never push them out", async () => {
      const scan = (id: string, namespace: string) =>
        job(id, 'completed', { name: JobName.ConflictScan, data: { namespace } });
      await store.jobRecords.save(scan('job-b-1', 'tenant-b'), OWNER);
      await store.jobRecords.save(job('job-backup', 'completed'), OWNER);
      for (const n of [1, 2, 3, 4]) {
        await store.jobRecords.save(scan(`job-a-${n}`, 'tenant-a'), OWNER);
        await store.jobRecords.pruneEnded('tenant-a', 2);
      }
      assert.deepEqual(
        (await store.jobRecords.all()).map((view) => view.id),
        ['job-b-1', 'job-backup', 'job-a-3', 'job-a-4'],
      );
      await store.jobRecords.save(scan('job-b-2', 'tenant-b'), OWNER);
      await store.jobRecords.pruneEnded('tenant-b', 1);
      assert.deepEqual(
        (await store.jobRecords.all()).map((view) => view.id),
        ['job-backup', 'job-a-3', 'job-a-4', 'job-b-2'],
      );
    });

    it("prunes a namespace's ended jobs whichever api keeps them, and a job taken over keeps its namespace", async () => {
      const scan = (id: string, state: JobView['state']) =>
        job(id, state, { name: JobName.ConflictScan, data: { namespace: 'tenant-a' } });
      await store.jobRecords.save(scan('job-a-running', 'active'), 'api-dead');
      await store.jobRecords.save(job('job-backup', 'completed'), 'api-dead');
      await store.jobRecords.save(scan('job-a-1', 'completed'), 'api-live');
      await store.jobRecords.takeOver('api-dead', 'api-live', (view) => ({ ...view, state: 'failed' }));
      await store.jobRecords.save(scan('job-a-waiting', 'waiting'), 'api-other');
      await store.jobRecords.save(scan('job-a-2', 'completed'), 'api-other');
      await store.jobRecords.pruneEnded('tenant-a', 1);
      assert.deepEqual(
        (await store.jobRecords.all()).map((view) => [view.id, view.state]),
        [
          ['job-backup', 'completed'],
          ['job-a-waiting', 'waiting'],
          ['job-a-2', 'completed'],
        ],
        "the ended one taken over counted in tenant-a's, another api's waiting one kept, the whole-store one untouched",
      );
    });
  });
}
