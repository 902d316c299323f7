import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqliteLockRepository } from '../storage/locks/sqlite-lock.repository';
import { makeTempDir } from '../testing/temp-dir';
import { SCHEDULE_LOCK, ScheduleOwner } from './schedule-owner';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ScheduleOwner', () => {
  const locks = () => new SqliteLockRepository(makeTempDir('engram-schedule-owner-'));

  it('starts the schedules in one owner only; another starts them once the first releases', async () => {
    const repository = locks();
    const started: string[] = [];
    const first = new ScheduleOwner(repository, 20);
    const second = new ScheduleOwner(repository, 20);
    await first.whenOwner(async () => void started.push('first'));
    await second.whenOwner(async () => void started.push('second'));
    // The second keeps retrying while the first holds the lock: several retries, still not started.
    await sleep(200);
    assert.deepEqual(started, ['first']);

    await first.release();
    for (let waited = 0; started.length < 2; waited += 20) {
      assert.ok(waited < 10_000, 'the second took over');
      await sleep(20);
    }
    assert.deepEqual(started, ['first', 'second']);
    // Its lock is held: nobody else may take it now.
    assert.equal(await repository.tryAcquire(SCHEDULE_LOCK, 'exclusive'), undefined);
    await second.release();
    const free = await repository.tryAcquire(SCHEDULE_LOCK, 'exclusive');
    assert.ok(free, 'released for good');
    await free.release();
  });

  it('stops trying once released, and never starts afterwards', async () => {
    const repository = locks();
    const holder = await repository.tryAcquire(SCHEDULE_LOCK, 'exclusive');
    let started = false;
    const owner = new ScheduleOwner(repository, 20);
    await owner.whenOwner(async () => void (started = true));
    await owner.release();
    await holder!.release();
    await sleep(200);
    assert.equal(started, false);
  });
});
