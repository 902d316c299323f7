import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it, mock } from 'node:test';
import { recordDiskCalls } from '../../testing/disk-calls';
import { LARGE_FILE_LIMITS, memoryFileVersion } from '../../testing/memory-file-writer.child';
import { killDuringWrite } from '../../testing/memory-file-writer';
import { seededRandom } from '../../testing/seeded-random';
import { makeTempDir } from '../../testing/test-app';
import { MemoryDirectoryRepository } from './memory-directory.repository';

describe('MemoryDirectoryRepository', () => {
  afterEach(() => mock.restoreAll());

  it('a writer killed while it rewrites a file never leaves it cut short or empty, nor loses an acknowledged version', async () => {
    const dir = makeTempDir();
    const random = seededRandom(49);
    const first = new MemoryDirectoryRepository(dir, LARGE_FILE_LIMITS);
    await first.writeText(first.resolve('notes.md'), memoryFileVersion(0));
    let acknowledged = 0;
    for (let kill = 1; kill <= 24; kill++) {
      acknowledged = await killDuringWrite(dir, acknowledged + 1, 1 + Math.floor(random() * 3), random() * 40);
      const directory = new MemoryDirectoryRepository(dir);
      const content = await directory.readText(directory.resolve('notes.md'));
      const found = Number(/^version (\d+)\n/.exec(content)?.[1] ?? NaN);
      assert.ok(
        found === acknowledged || found === acknowledged + 1,
        `kill ${kill}: version ${found} after ${acknowledged}`,
      );
      const whole = memoryFileVersion(found);
      assert.ok(content === whole, `kill ${kill}: ${content.length} characters of version ${found}'s ${whole.length}`);
      acknowledged = found;
      // A temporary file the kill left behind is no memory file: not listed, not counted against the limits.
      assert.deepEqual(
        (await directory.listFiles()).map((file) => file.path),
        ['notes.md'],
      );
      assert.equal(await directory.sizeOf(directory.resolve('')), Buffer.byteLength(content));
    }
  });

  it('puts a written file on disk before renaming it into place, and its folder (and a new folder’s parent) after', async () => {
    const root = makeTempDir();
    const directory = new MemoryDirectoryRepository(root);
    await directory.ensureRoot();
    const calls = recordDiskCalls();
    await directory.writeText(directory.resolve('projects/engram.md'), 'notes');
    const folder = join(root, 'projects');
    const [temporary] = calls.filter((call) => call.startsWith('rename ')).map((call) => call.split(' ')[1]);
    assert.deepEqual(calls, [
      `fsync ${root}`,
      `fsync ${temporary}`,
      `rename ${temporary} -> ${join(folder, 'engram.md')}`,
      `fsync ${folder}`,
    ]);
    assert.equal(await directory.readText(directory.resolve('projects/engram.md')), 'notes');
  });

  it('puts a removal and a new folder on disk (their parent folder fsynced after)', async () => {
    const root = makeTempDir();
    mkdirSync(join(root, 'projects'));
    writeFileSync(join(root, 'projects', 'old.md'), 'old');
    const directory = new MemoryDirectoryRepository(root);
    const calls = recordDiskCalls();
    await directory.removeFile(directory.resolve('projects/old.md'));
    await directory.makeDir(directory.resolve('archive/2026'));
    assert.deepEqual(calls, [
      `unlink ${join(root, 'projects', 'old.md')}`,
      `fsync ${join(root, 'projects')}`,
      `fsync ${join(root, 'archive')}`,
      `fsync ${root}`,
    ]);
    assert.deepEqual(readdirSync(join(root, 'projects')), []);
  });
});
