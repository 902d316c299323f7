import assert from 'node:assert/strict';
import { existsSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { isDurableTemporary, TEMPORARY_ABANDONED_AFTER_MS } from '../../common/durable-file';
import { MEMORY_ARCHIVE_FILE } from '../../backups/backup-manifest';
import { runJob } from '../../testing/job-helpers';
import { killLeavingTemporary } from '../../testing/memory-file-writer';
import { seededRandom } from '../../testing/seeded-random';
import { makeTempDir, startTestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait-for';
import { MemoryDirectoryRepository } from './memory-directory.repository';

/** The paths a backup's memory archive holds. */
async function archived(archive: string): Promise<string[]> {
  const paths: string[] = [];
  await (await import('tar')).list({ file: archive, onReadEntry: (entry) => paths.push(entry.path) });
  return paths;
}

describe('temporary files a crash leaves in the memory folder', () => {
  it('are removed at the next start once abandoned, a younger one is left to its writer, and no backup holds either', async () => {
    const dir = makeTempDir();
    const first = await startTestApp({}, dir);
    const folder = join(first.config.memoryDir, 'default');
    await first.close({ keepDir: true });
    const directory = new MemoryDirectoryRepository(folder);
    await directory.ensureRoot();
    await directory.writeText(directory.resolve('notes.md'), 'version 0\n');
    const random = seededRandom(50);

    // Writers killed with SIGKILL between writing their temporary file and renaming it: one crashed long
    // enough ago to be abandoned for sure, one so recently that its writer could still be at work.
    const abandoned = await killLeavingTemporary(folder, random);
    const longAgo = (Date.now() - TEMPORARY_ABANDONED_AFTER_MS - 60_000) / 1000;
    utimesSync(abandoned, longAgo, longAgo);
    const recent = await killLeavingTemporary(folder, random);

    const api = await startTestApp({}, dir);
    try {
      await waitFor(() => !existsSync(abandoned), 'the abandoned temporary file to be removed');
      const backup = await runJob(api.request, '/api/admin/backup');
      assert.equal(backup.state, 'completed', backup.error);
      const paths = await archived(join(api.config.backups.path, backup.result.backup_id, MEMORY_ARCHIVE_FILE));
      assert.ok(paths.includes('./default/notes.md'), `the memory file is archived: ${paths.join(', ')}`);
      assert.deepEqual(
        paths.filter((path) => isDurableTemporary(basename(path))),
        [],
        'no temporary file is archived',
      );
    } finally {
      await api.close({ keepDir: true });
    }
    // Closed, the api has finished its start-up look at the folder: the recent one was left alone.
    assert.ok(existsSync(recent), 'the recent temporary file is kept');
  });
});
