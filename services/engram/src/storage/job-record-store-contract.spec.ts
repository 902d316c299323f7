import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { JobName, JobView, QueueName } from '../jobs/job.types';
import { OpenedStorage, postgresAdapter, sqliteAdapter } from '../testing/storage-adapters';

const MODEL = { modelId: 'job-record-contract-model', dimension: 4 };

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
      await store.jobRecords.save(job('job-a', 'waiting'));
      await store.jobRecords.save(job('job-b', 'waiting'));
      await store.jobRecords.save(job('job-a', 'completed', { progress: 100, result: { bytes: 42 } }));
      const reopened = await adapter.open(MODEL);
      try {
        assert.deepEqual(await reopened.jobRecords.recent(10), [
          job('job-a', 'completed', { progress: 100, result: { bytes: 42 } }),
          job('job-b', 'waiting'),
        ]);
        assert.deepEqual(
          (await reopened.jobRecords.recent(1)).map((view) => view.id),
          ['job-b'],
          'the newest, oldest first',
        );
      } finally {
        await reopened.close();
      }
    });

    it('forgets ended jobs but the newest it keeps, never a waiting or running one', async () => {
      await store.jobRecords.save(job('job-waiting', 'waiting'));
      for (const id of ['job-1', 'job-2', 'job-3']) await store.jobRecords.save(job(id, 'failed'));
      await store.jobRecords.save(job('job-active', 'active'));
      await store.jobRecords.pruneEnded(2);
      assert.deepEqual(
        (await store.jobRecords.recent(10)).map((view) => view.id),
        ['job-waiting', 'job-2', 'job-3', 'job-active'],
      );
    });
  });
}
