import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryFiles, memoryFilesOf } from './agent-memory-files';
import { e2eStorages, memoryRowsIn, startCliStorage } from './e2e-storage';
import { CliStore, openCliStore, runEngram } from './engram-cli';

/** The memory agent's limit on one file (agent-file.rules.ts): 1 MiB. */
const FILE_LIMIT_BYTES = 1024 * 1024;

/**
 * Rebuilds a backup's memory archive with one more file, `<namespace>/<path>` of `bytes`, with the system's
 * tar, and seals it in the manifest again: a backup made by hand, or by a deployment with a larger limit.
 */
function addToArchive(backupDir: string, scratch: string, file: { path: string; bytes: number }): void {
  const archive = join(backupDir, 'memory.tar.gz');
  mkdirSync(scratch);
  execFileSync('tar', ['-xzf', archive, '-C', scratch]);
  mkdirSync(join(scratch, file.path, '..'), { recursive: true });
  writeFileSync(join(scratch, file.path), 'a line of notes\n'.repeat(file.bytes / 16) + 'x'.repeat(file.bytes % 16));
  execFileSync('tar', ['-czf', archive, '-C', scratch, '.']);
  const bytes = readFileSync(archive);
  const manifestPath = join(backupDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.memory_dir = {
    ...manifest.memory_dir,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  writeFileSync(manifestPath, JSON.stringify(manifest));
}

for (const storage of e2eStorages())
  describe(`a restore refuses a memory file over the agent's limit (${storage.name})`, () => {
    let store: CliStore;
    let env: Record<string, string>;
    let files: MemoryFiles;

    before(async () => {
      store = await openCliStore('restore-file-limit-model');
      const memoryDir = join(store.dir, 'memory');
      mkdirSync(memoryDir);
      env = {
        ...(await startCliStorage(storage, store)),
        MEMORY_DIR: memoryDir,
        MCP_MEMORY_BACKUPS_PATH: join(store.dir, 'backups'),
      };
      files = memoryFilesOf(env, memoryDir);
    });
    after(async () => {
      await storage.stop();
      await store.close();
    });

    const engram = async (args: string[], code = 0) => {
      const run = await runEngram(args, env, store.dir);
      assert.equal(run.code, code, `engram ${args.join(' ')}: ${run.stderr}`);
      return run;
    };

    it('fails the restore naming the file and the limit, and leaves the memories and the memory files as they were', async () => {
      await engram(['store', 'kept by the backup']);
      await files.put([{ namespace: 'default', path: 'user.md', content: Buffer.from('# User\n') }]);
      const id: string = JSON.parse((await engram(['backup', '--json'])).stdout).backup_id;
      addToArchive(join(env.MCP_MEMORY_BACKUPS_PATH, id), join(store.dir, 'crafted'), {
        path: 'default/notes/huge.md',
        bytes: FILE_LIMIT_BYTES + 1,
      });
      await engram(['store', 'written after the backup']);
      await files.put([{ namespace: 'default', path: 'notes/after.md', content: Buffer.from('# After\n') }]);
      const filesBefore = await files.tally();

      const restore = await engram(['restore', id, '--yes'], 65);
      assert.equal(
        restore.stderr.trimEnd().split('\n').at(-1),
        `engram restore: failed: Backup ${id} is not restored: its memory archive holds "default/notes/huge.md" of ` +
          `${FILE_LIMIT_BYTES + 1} bytes, over the memory agent's per-file limit of ${FILE_LIMIT_BYTES} bytes ` +
          '(docs/agent.md, "The memory functions")',
      );
      assert.deepEqual(await files.tally(), filesBefore, 'the memory files as they were');
      assert.deepEqual(await memoryRowsIn(env)('written after the backup'), [{ deleted: false }]);
      const listed = JSON.parse((await engram(['restore', '--list', '--json'])).stdout);
      assert.deepEqual(
        listed.backups.map((backup: { backup_id: string }) => backup.backup_id),
        [id],
        'no pre-restore backup: nothing was swapped',
      );
    });
  });
