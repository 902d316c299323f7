import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { STORE_WIDE } from '../events/engram-event';
import { JobName, JobView, QueueName } from '../jobs/job.types';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { makeTempDir } from '../testing/temp-dir';
import { OpenedStorage, postgresAdapter, sqliteAdapter } from '../testing/storage-adapters';
import { openSqliteDatabase } from './sqlite.connection';
import { openSqliteStores } from './sqlite/sqlite.stores';

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

    it("answers the newest jobs first, every owner's as last stored, and a namespace's alone when asked", async () => {
      const scan = (id: string, namespace: string) =>
        job(id, 'waiting', { name: JobName.ConflictScan, data: { namespace } });
      await store.jobRecords.save(job('job-backup', 'completed'), 'api-a');
      await store.jobRecords.save(scan('job-a-1', 'tenant-a'), 'api-b');
      await store.jobRecords.save(scan('job-b-1', 'tenant-b'), 'api-a');
      await store.jobRecords.save(scan('job-a-2', 'tenant-a'), 'api-a');
      await store.jobRecords.startUnlessCancelled({ ...scan('job-a-1', 'tenant-a'), state: 'active' });
      await store.jobRecords.saveProgress({ ...scan('job-a-1', 'tenant-a'), state: 'active', progress: 40 });
      const other = await adapter.open(MODEL);
      try {
        const ids = (views: JobView[]) => views.map((view) => view.id);
        assert.deepEqual(ids(await other.jobRecords.newest(10)), ['job-a-2', 'job-b-1', 'job-a-1', 'job-backup']);
        assert.deepEqual(ids(await other.jobRecords.newest(2)), ['job-a-2', 'job-b-1']);
        const tenantA = await other.jobRecords.newest(10, 'tenant-a');
        assert.deepEqual(ids(tenantA), ['job-a-2', 'job-a-1']);
        assert.deepEqual([tenantA[1].state, tenantA[1].progress], ['active', 40], 'a running job as last stored');
        assert.deepEqual(ids(await other.jobRecords.newest(10, STORE_WIDE)), ['job-backup']);
        assert.deepEqual(await other.jobRecords.newest(10, 'tenant-c'), []);
      } finally {
        await other.close();
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
        assert.deepEqual(loser, { jobs: [], ended: [] }, 'the second taker finds them taken');
        const taker = winner.ended[0]?.error?.slice('ended by '.length);
        const ended = (id: string) => job(id, 'failed', { error_code: 'interrupted', error: `ended by ${taker}` });
        assert.deepEqual(winner.jobs, [job('job-done', 'completed'), ended('job-running'), ended('job-waiting')]);
        assert.deepEqual(
          winner.ended.map((view) => view.id),
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

    it('records a cancel of a waiting or running job through any connection, read by its owner until it ends', async () => {
      await store.jobRecords.save(job('job-waiting', 'waiting'), 'api-a');
      await store.jobRecords.save(job('job-running', 'active'), 'api-a');
      await store.jobRecords.save(job('job-done', 'completed'), 'api-a');
      await store.jobRecords.save(job('job-elsewhere', 'active'), 'api-b');
      const other = await adapter.open(MODEL);
      try {
        const recorded = (view: JobView) => ({ job: view, recorded: true });
        assert.deepEqual(await other.jobRecords.requestCancel('job-running'), recorded(job('job-running', 'active')));
        assert.deepEqual(await other.jobRecords.requestCancel('job-waiting'), recorded(job('job-waiting', 'waiting')));
        assert.deepEqual(await other.jobRecords.requestCancel('job-done'), {
          job: job('job-done', 'completed'),
          recorded: false,
          uncancellable: undefined,
        });
        assert.equal(await other.jobRecords.requestCancel('job-none'), undefined);
      } finally {
        await other.close();
      }
      // The owner's own writes as the job advances keep the request.
      await store.jobRecords.saveProgress(job('job-running', 'active', { progress: 30 }));
      await store.jobRecords.save(job('job-running', 'active', { progress: 40 }), 'api-a');
      assert.deepEqual((await store.jobRecords.cancelsRequested('api-a')).sort(), ['job-running', 'job-waiting']);
      assert.deepEqual(await store.jobRecords.cancelsRequested('api-b'), [], "another api's job untouched");
      await store.jobRecords.save(job('job-running', 'cancelled'), 'api-a');
      assert.deepEqual(
        await store.jobRecords.cancelsRequested('api-a'),
        ['job-waiting'],
        'an ended job is not read again',
      );
    });

    it("ends a stopped owner's unended jobs told which had their cancel recorded", async () => {
      await store.jobRecords.save(job('job-cancelled', 'active'), 'api-dead');
      await store.jobRecords.save(job('job-cut-off', 'active'), 'api-dead');
      await store.jobRecords.save(job('job-cancelled-waiting', 'waiting'), 'api-dead');
      await store.jobRecords.requestCancel('job-cancelled');
      await store.jobRecords.requestCancel('job-cancelled-waiting');
      const end = (view: JobView, cancelRequested: boolean) =>
        ({ ...view, state: cancelRequested ? 'cancelled' : 'failed' }) as JobView;
      const taken = await store.jobRecords.takeOver('api-dead', 'api-one', end);
      assert.deepEqual(
        taken.ended.map((view) => [view.id, view.state]),
        [
          ['job-cancelled', 'cancelled'],
          ['job-cut-off', 'failed'],
          ['job-cancelled-waiting', 'cancelled'],
        ],
      );
      assert.deepEqual(
        (await store.jobRecords.all()).map((view) => view.state),
        ['cancelled', 'failed', 'cancelled'],
      );
    });

    it("ends a stopping owner's unended jobs for every connection at once, reported by the one taking them over", async () => {
      await store.jobRecords.save(job('job-done', 'completed'), 'api-stopping');
      await store.jobRecords.save(job('job-running', 'active', { progress: 40 }), 'api-stopping');
      await store.jobRecords.save(job('job-waiting', 'waiting'), 'api-stopping');
      await store.jobRecords.save(job('job-cancelled', 'active'), 'api-stopping');
      await store.jobRecords.save(job('job-alive', 'active'), 'api-alive');
      await store.jobRecords.requestCancel('job-cancelled');
      const end = (view: JobView, cancelRequested: boolean) =>
        ({ ...view, state: cancelRequested ? 'cancelled' : 'failed', error_code: 'interrupted' }) as JobView;
      const ended = (id: string, state: JobView['state'], fields: Partial<JobView> = {}) =>
        job(id, state, { error_code: 'interrupted', ...fields });
      assert.deepEqual(await store.jobRecords.endAtStop('api-stopping', end), [
        ended('job-running', 'failed', { progress: 40 }),
        ended('job-waiting', 'failed'),
        ended('job-cancelled', 'cancelled'),
      ]);
      const other = await adapter.open(MODEL);
      try {
        assert.deepEqual(await other.jobRecords.find('job-running'), ended('job-running', 'failed', { progress: 40 }));
        assert.equal((await other.jobRecords.find('job-alive'))?.state, 'active', "another owner's job untouched");
        assert.deepEqual(await other.jobRecords.cancelsRequested('api-stopping'), [], 'nothing left to cancel');
        // Kept while unreported, however few ended jobs the namespace keeps.
        await other.jobRecords.pruneEnded(STORE_WIDE, 1);
        assert.deepEqual(
          (await other.jobRecords.all()).map((view) => view.id),
          ['job-running', 'job-waiting', 'job-cancelled', 'job-alive'],
        );
        const never = () => assert.fail('no job is ended twice');
        const taken = await other.jobRecords.takeOver('api-stopping', 'api-taker', never);
        assert.deepEqual(
          taken.ended.map((view) => [view.id, view.state]),
          [
            ['job-running', 'failed'],
            ['job-waiting', 'failed'],
            ['job-cancelled', 'cancelled'],
          ],
          'reported by the api taking them over',
        );
        await store.jobRecords.save(job('job-later', 'completed'), 'api-stopping');
        const again = await store.jobRecords.takeOver('api-stopping', 'api-second', never);
        assert.deepEqual(again.ended, [], 'reported once');
        await other.jobRecords.pruneEnded(STORE_WIDE, 1);
        assert.deepEqual(
          (await other.jobRecords.all()).map((view) => view.id),
          ['job-alive', 'job-later'],
          'pruned as any ended job once reported',
        );
      } finally {
        await other.close();
      }
    });

    it('lets a running job enter its final step or be cancelled, whichever comes first; refused cancels write nothing', async () => {
      await store.jobRecords.save(job('job-swapping', 'active'), OWNER);
      await store.jobRecords.save(job('job-cancelled', 'active'), OWNER);
      const reason = 'the restore is swapping the backup into the store and must finish';
      assert.equal(await store.jobRecords.markUncancellable('job-swapping', reason), true);
      await store.jobRecords.requestCancel('job-cancelled');
      assert.equal(await store.jobRecords.markUncancellable('job-cancelled', reason), false, 'the cancel came first');
      const other = await adapter.open(MODEL);
      try {
        assert.deepEqual(await other.jobRecords.requestCancel('job-swapping'), {
          job: job('job-swapping', 'active'),
          recorded: false,
          uncancellable: reason,
        });
        assert.deepEqual(await store.jobRecords.cancelsRequested(OWNER), ['job-cancelled'], 'no cancel recorded');
      } finally {
        await other.close();
      }
    });

    it('starts a waiting job unless its cancel was recorded first, which then leaves it waiting', async () => {
      await store.jobRecords.save(job('job-go', 'waiting'), OWNER);
      await store.jobRecords.save(job('job-stop', 'waiting'), OWNER);
      await store.jobRecords.requestCancel('job-stop');
      const started = (id: string) => job(id, 'active', { attempts: 1, started_at: '2026-01-01T00:00:01.000Z' });
      assert.equal(await store.jobRecords.startUnlessCancelled(started('job-go')), true);
      assert.equal(await store.jobRecords.startUnlessCancelled(started('job-stop')), false);
      assert.deepEqual(await store.jobRecords.find('job-go'), started('job-go'));
      assert.deepEqual(await store.jobRecords.find('job-stop'), job('job-stop', 'waiting'));
      assert.deepEqual(await store.jobRecords.cancelsRequested(OWNER), ['job-stop']);
    });

    it("stores a running job's progress for every connection, and never over its end", async () => {
      await store.jobRecords.save(job('job-a', 'active'), OWNER);
      assert.equal(
        await store.jobRecords.saveProgress(job('job-a', 'active', { progress: 40, stage: 'embedded 40 of 100' })),
        true,
      );
      const other = await adapter.open(MODEL);
      try {
        assert.deepEqual(
          await other.jobRecords.find('job-a'),
          job('job-a', 'active', { progress: 40, stage: 'embedded 40 of 100' }),
        );
        await store.jobRecords.save(job('job-a', 'completed', { progress: 100 }), OWNER);
        await store.jobRecords.saveProgress(job('job-a', 'active', { progress: 60 }));
        assert.deepEqual(await other.jobRecords.find('job-a'), job('job-a', 'completed', { progress: 100 }));
        assert.deepEqual(
          (await other.jobRecords.all()).map((view) => view.state),
          ['completed'],
          'a late progress write brings back no running job',
        );
      } finally {
        await other.close();
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

describe('Job record store on SQLite: progress writes', () => {
  it('never wait for the file: refused at once while another connection writes, other writes still wait', async () => {
    const path = join(makeTempDir(), 'engram.db');
    const stores = openSqliteStores({ path, pragmas: DEFAULT_PRAGMAS, model: MODEL });
    const writer = openSqliteDatabase(path, {});
    try {
      await stores.jobRecords.save(job('job-a', 'active'), OWNER);
      writer.exec('BEGIN IMMEDIATE');
      assert.equal(await stores.jobRecords.saveProgress(job('job-a', 'active', { progress: 10 })), false);
      assert.equal(stores.db.pragma('busy_timeout', { simple: true }), Number(DEFAULT_PRAGMAS.busy_timeout));
      writer.exec('COMMIT');
      assert.equal(await stores.jobRecords.saveProgress(job('job-a', 'active', { progress: 20 })), true);
      assert.equal((await stores.jobRecords.find('job-a'))?.progress, 20);
    } finally {
      writer.close();
      await stores.close();
    }
  });
});
