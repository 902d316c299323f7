import assert from 'node:assert/strict';
import { describeFinalStepCancels, holdCalls } from '../testing/final-step-cancel.cases';
import { ReindexStaging } from './reindex-staging';

describeFinalStepCancels({
  title: 'a reindex switches to the new vectors',
  refused: /^Job \S+ can no longer be cancelled: the reindex is switching to the new vectors and must finish$/,
  hold: (runner) => holdCalls(runner.get(ReindexStaging, { strict: false }), 'switchToStaged'),
  async queue(api) {
    const stored = await api.request('POST', '/api/memories', { body: { content: 'embedded again' } });
    assert.equal(stored.status, 201, stored.text);
    const reindex = await api.request('POST', '/api/admin/reindex');
    assert.equal(reindex.status, 202, reindex.text);
    return reindex.body.job_id as string;
  },
});
