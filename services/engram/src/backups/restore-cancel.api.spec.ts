import assert from 'node:assert/strict';
import { runJob } from '../testing/job-helpers';
import { describeFinalStepCancels, holdCalls } from '../testing/final-step-cancel.cases';
import { DatabaseBackupTarget } from './database-backup.target';

describeFinalStepCancels({
  title: 'a restore swaps the store',
  refused: /^Job \S+ can no longer be cancelled: the restore is swapping the backup into the store and must finish$/,
  // Where the swap begins: the backend's own restore.
  hold: (runner) => holdCalls(runner.get(DatabaseBackupTarget, { strict: false }), 'restore'),
  async queue(api) {
    const stored = await api.request('POST', '/api/memories', { body: { content: 'kept in the backup' } });
    assert.equal(stored.status, 201, stored.text);
    const backup = await runJob(api.request, '/api/admin/backup');
    assert.equal(backup.state, 'completed', backup.error);
    const restore = await api.request('POST', '/api/admin/restore', { body: { backup_id: backup.result.backup_id } });
    assert.equal(restore.status, 202, restore.text);
    return restore.body.job_id as string;
  },
});
