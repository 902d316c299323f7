import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobsHarness, runJob, startJobsHarness, waitForJob } from '../testing/job-helpers';

describe('jobs on BullMQ when Redis goes away and comes back', () => {
  let harness: JobsHarness;
  before(async () => {
    harness = await startJobsHarness('bullmq');
  });
  after(async () => {
    await harness.close();
  });

  it('keeps a job queued while no worker runs, and runs it once a worker starts', async () => {
    await harness.stopWorker();
    const queued = await harness.api.request('POST', '/api/admin/backup');
    assert.equal(queued.status, 202);
    assert.match(queued.body.job_id, /^job-[\w-]{12}$/, "random, not BullMQ's counter: it counts nothing");
    const waiting = await harness.api.request('GET', `/api/jobs/${queued.body.job_id}`);
    assert.equal(waiting.body.state, 'waiting');
    await harness.startWorker();
    const done = await waitForJob(harness.api.request, queued.body.job_id);
    assert.equal(done.state, 'completed', done.error);
  });

  it('cancels a waiting job (gone from the queue) and refuses to cancel a finished one (409)', async () => {
    await harness.stopWorker();
    const queued = await harness.api.request('POST', '/api/admin/backup');
    const cancel = await harness.api.request('DELETE', `/api/jobs/${queued.body.job_id}`);
    assert.deepEqual(cancel.body, { success: true, job_id: queued.body.job_id, status: 'cancelled' });
    assert.equal((await harness.api.request('GET', `/api/jobs/${queued.body.job_id}`)).status, 404);
    await harness.startWorker();
    const finished = await runJob(harness.api.request, '/api/admin/backup');
    assert.equal((await harness.api.request('DELETE', `/api/jobs/${finished.id}`)).status, 409);
  });

  it('serves memories while Redis is down, answers 503 on job routes, and runs jobs again once Redis is back', async () => {
    await harness.redis!.stop();
    const stored = await harness.api.request('POST', '/api/memories', {
      body: { content: 'stored while redis was down' },
    });
    assert.equal(stored.status, 201, stored.text);
    const search = await harness.api.request('POST', '/api/search', { body: { query: 'redis down', mode: 'keyword' } });
    assert.equal(search.status, 200);
    assert.equal(search.body.results.length, 1);
    for (const [method, path] of [
      ['POST', '/api/admin/backup'],
      ['POST', '/api/admin/reindex'],
      ['GET', '/api/jobs'],
    ]) {
      const refused = await harness.api.request(method, path);
      assert.equal(refused.status, 503, `${method} ${path}: ${refused.text}`);
      assert.equal(refused.body.error, 'queue_unavailable');
      assert.match(refused.body.message, /Redis \(REDIS_URL\) cannot be reached/);
    }
    const ready = await harness.api.request('GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.details.queue.redis, 'down');
    assert.equal(ready.body.details.queue.degraded, true);

    await harness.redis!.start();
    const deadline = Date.now() + 15_000;
    let queued = await harness.api.request('POST', '/api/admin/backup');
    while (queued.status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      queued = await harness.api.request('POST', '/api/admin/backup');
    }
    assert.equal(queued.status, 202, queued.text);
    const done = await waitForJob(harness.api.request, queued.body.job_id);
    assert.equal(done.state, 'completed', done.error);
    assert.equal((await harness.api.request('GET', '/health/ready')).body.details.queue.redis, 'up');
  });
});
