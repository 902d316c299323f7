import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeFinalStepCancels, holdCalls } from '../testing/final-step-cancel.cases';
import { waitForJob } from '../testing/job-helpers';
import { startTestApp, TestApp } from '../testing/test-app';
import { ReindexStaging } from './reindex-staging';

const REFUSED = /^Job \S+ can no longer be cancelled: the reindex is switching to the new vectors and must finish$/;

async function queueReindex(api: TestApp, content: string): Promise<string> {
  const stored = await api.request('POST', '/api/memories', { body: { content } });
  assert.equal(stored.status, 201, stored.text);
  const reindex = await api.request('POST', '/api/admin/reindex');
  assert.equal(reindex.status, 202, reindex.text);
  return reindex.body.job_id as string;
}

describeFinalStepCancels({
  title: 'a reindex switches to the new vectors',
  refused: REFUSED,
  hold: (runner) => holdCalls(runner.get(ReindexStaging, { strict: false }), 'switchToStaged'),
  queue: (api) => queueReindex(api, 'embedded again'),
});

describe('a reindex whose switch is refused for a memory written meanwhile', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp();
  });
  after(() => api?.close());

  it('catches it up and switches again, still refusing a cancel, and completes', async () => {
    const staging = api.app.get(ReindexStaging, { strict: false });
    const first = holdCalls(staging, 'switchToStaged');
    const id = await queueReindex(api, 'staged before the switch');
    await first.reached;
    const written = await api.request('POST', '/api/memories', { body: { content: 'written during the switch' } });
    assert.equal(written.status, 201, written.text);
    const second = holdCalls(staging, 'switchToStaged');
    first.release();
    await second.reached;
    try {
      const cancel = await api.request('DELETE', `/api/jobs/${id}`);
      assert.equal(cancel.status, 409, cancel.text);
      assert.match(cancel.body.message, REFUSED);
    } finally {
      second.release();
    }
    const reindexed = await waitForJob(api.request, id);
    assert.equal(reindexed.state, 'completed', reindexed.error);
    // The first switch refused: the memory written meanwhile was embedded by a second walk.
    assert.equal(reindexed.result.embedded, 2);
    assert.equal(reindexed.result.vectors, 2);
  });
});
