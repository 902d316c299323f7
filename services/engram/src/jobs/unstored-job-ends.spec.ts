import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { JobName, JobView, QueueName } from './job.types';
import { UnstoredJobEnds } from './unstored-job-ends';

function endedJob(id: string): JobView {
  return {
    id,
    name: JobName.ConflictScan,
    queue: QueueName.Maintenance,
    state: 'cancelled',
    progress: 0,
    data: { namespace: 'default' },
    attempts: 0,
    created_at: new Date(0).toISOString(),
  };
}

/** Lets the retry that a tick started settle (its store call and what follows it). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('UnstoredJobEnds', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('stores a refused end again after 1 s, doubling the wait, until the store takes it', async () => {
    const triedAt: number[] = [];
    let elapsed = 0;
    let refusals = 2;
    const ends = new UnstoredJobEnds(
      async () => {
        triedAt.push(elapsed);
        if (refusals-- > 0) throw new Error('busy');
      },
      () => assert.fail('not given up'),
    );
    ends.add(endedJob('job-a'));
    for (; elapsed < 20_000;) {
      elapsed += 500;
      mock.timers.tick(500);
      await settle();
    }
    assert.deepEqual(triedAt, [1_000, 3_000, 7_000]);
  });

  it('gives up after ten retries, about three minutes, and says so once', async () => {
    let tries = 0;
    const given: string[] = [];
    const ends = new UnstoredJobEnds(
      async () => {
        tries++;
        throw new Error('busy');
      },
      (view) => given.push(view.id),
    );
    ends.add(endedJob('job-b'));
    for (let second = 0; second < 600; second++) {
      mock.timers.tick(1_000);
      await settle();
    }
    assert.equal(tries, 10);
    assert.deepEqual(given, ['job-b']);
  });

  it('at flush tries each kept end once more and retries nothing after', async () => {
    let tries = 0;
    const ends = new UnstoredJobEnds(
      async () => {
        tries++;
      },
      () => assert.fail('not given up'),
    );
    ends.add(endedJob('job-c'));
    await ends.flush();
    assert.equal(tries, 1);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(tries, 1);
  });
});
