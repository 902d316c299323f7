import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runJob } from '../testing/job-helpers';
import { makeTempDir, startTestApp } from '../testing/test-app';

describe('in-process job ids across a restart (real api, same store)', () => {
  it('never hands an id of the last run to a new job: an old status URL answers its own job, never another', async () => {
    const dir = makeTempDir();
    try {
      const first = await startTestApp({}, dir);
      const before = await runJob(first.request, '/api/admin/backup');
      assert.equal(before.state, 'completed', before.error);
      await first.close({ keepDir: true });
      await new Promise((resolve) => setTimeout(resolve, 5));

      const second = await startTestApp({}, dir);
      try {
        const kept = await second.request('GET', `/api/jobs/${before.id}`);
        assert.deepEqual([kept.status, kept.body.id, kept.body.state], [200, before.id, 'completed']);
        const after = await runJob(second.request, '/api/admin/backup');
        assert.equal(after.state, 'completed', after.error);
        assert.notEqual(after.id, before.id);
        for (const id of [before.id, after.id]) assert.match(id, /^job-[\w-]{12}$/, 'random: it counts nothing');
      } finally {
        await second.close({ keepDir: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
