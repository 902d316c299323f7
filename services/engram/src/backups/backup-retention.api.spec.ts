import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { backupTestMemory as memory } from '../testing/backups-and-restore.cases';
import { runJob } from '../testing/job-helpers';
import { startTestApp, TestApp } from '../testing/test-app';
import { backupIdAt } from './backup-manifest';

describe('backup retention', () => {
  const listedIds = async (api: TestApp): Promise<string[]> =>
    (await api.request('GET', '/api/admin/backups')).body.backups.map((b: { backup_id: string }) => b.backup_id);
  const restore = async (api: TestApp, backupId: string): Promise<string> => {
    const job = await runJob(api.request, '/api/admin/restore', { backup_id: backupId });
    assert.equal(job.state, 'completed', job.error);
    return job.result.pre_restore_backup_id;
  };

  it('keeps at most MCP_BACKUP_MAX_COUNT backups, newest first', async () => {
    const api = await startTestApp({ MCP_BACKUP_MAX_COUNT: '2' });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await runJob(api.request, '/api/admin/backup')).result.backup_id);
      assert.deepEqual(await listedIds(api), [ids[2], ids[1]]);
    } finally {
      await api.close();
    }
  });

  it('counts pre-restore backups apart: repeated restores and an undo keep the manual backup', async () => {
    const api = await startTestApp({ MCP_BACKUP_MAX_COUNT: '2' });
    try {
      await api.request('POST', '/api/memories', { body: memory(1) });
      const manual = (await runJob(api.request, '/api/admin/backup')).result.backup_id;
      await restore(api, manual);
      const second = await restore(api, manual);
      const undo = await restore(api, second);
      assert.deepEqual(await listedIds(api), [undo, second, manual]);
    } finally {
      await api.close();
    }
  });

  it('keeps the newest manual backup past MCP_BACKUP_RETENTION days when a restore prunes', async () => {
    const api = await startTestApp({ MCP_BACKUP_RETENTION: '7' });
    try {
      await api.request('POST', '/api/memories', { body: memory(1) });
      const taken = (await runJob(api.request, '/api/admin/backup')).result.backup_id;
      // The same backup, as if taken in 2000: the only manual one, far older than the retention period.
      const old = 'backup-20000101T000000000Z';
      const folder = join(api.config.backups.path, old);
      renameSync(join(api.config.backups.path, taken), folder);
      const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
      writeFileSync(
        join(folder, 'manifest.json'),
        JSON.stringify({ ...manifest, id: old, created_at: '2000-01-01T00:00:00.000Z' }),
      );
      const first = await restore(api, old);
      const undo = await restore(api, first);
      assert.deepEqual(await listedIds(api), [undo, first, old]);
    } finally {
      await api.close();
    }
  });

  it('prunes a corrupt backup as one of the manual and scheduled ones, by the time in its id', async () => {
    const api = await startTestApp({ MCP_BACKUP_MAX_COUNT: '2', MCP_BACKUP_RETENTION: '0' });
    try {
      const first = (await runJob(api.request, '/api/admin/backup')).result;
      const corrupt = backupIdAt(new Date(Date.parse(first.created_at) + 1));
      cpSync(join(api.config.backups.path, first.backup_id), join(api.config.backups.path, corrupt), {
        recursive: true,
      });
      writeFileSync(join(api.config.backups.path, corrupt, 'manifest.json'), '{"id": "backup-');
      const second = (await runJob(api.request, '/api/admin/backup')).result.backup_id;
      assert.deepEqual(await listedIds(api), [second, corrupt]);
      const third = (await runJob(api.request, '/api/admin/backup')).result.backup_id;
      assert.deepEqual(await listedIds(api), [third, second]);
      assert.equal(existsSync(join(api.config.backups.path, corrupt)), false, 'its folder is gone');
    } finally {
      await api.close();
    }
  });
});
