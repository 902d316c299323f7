import assert from 'node:assert/strict';
import { promises as fsPromises, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it, mock } from 'node:test';
import { makeTempDir } from '../testing/test-app';
import { BackupManifest, MEMORY_ARCHIVE_FILE } from './backup-manifest';
import { BackupRepository } from './backup.repository';

const ID = 'backup-20260101T000000000Z';

function manifest(): BackupManifest {
  return {
    id: ID,
    created_at: '2026-01-01T00:00:00.000Z',
    reason: 'manual',
    engram_version: 'test',
    format: 'sqlite',
    schema_version: 33,
    embedding: { model: 'model', dimension: 4 },
    database: { file: 'engram.db', bytes: 4, sha256: 'x' },
    memory_dir: { file: MEMORY_ARCHIVE_FILE, bytes: 4, sha256: 'y' },
    counts: { memories: 0, live_memories: 0, tags: 0, embeddings: 0 },
    integrity_check: 'ok',
    duration_ms: 1,
  };
}

/** Records, in order, every fsync (with its path) and rename the repository makes. */
function recordDiskCalls(): string[] {
  const calls: string[] = [];
  const open = fsPromises.open;
  mock.method(fsPromises, 'open', async (path: string, ...rest: [string?]) => {
    const handle = await open(path, ...rest);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      calls.push(`fsync ${path}`);
      await sync();
    };
    return handle;
  });
  const rename = fsPromises.rename;
  mock.method(fsPromises, 'rename', async (from: string, to: string) => {
    calls.push(`rename ${from}`);
    await rename(from, to);
  });
  return calls;
}

describe('BackupRepository.commit', () => {
  afterEach(() => mock.restoreAll());

  it('puts every file and the folder on disk before the backup is renamed into place, and the rename after', async () => {
    const root = makeTempDir();
    const files = new BackupRepository(root);
    const staging = await files.stage(ID);
    writeFileSync(join(staging, 'engram.db'), 'copy');
    writeFileSync(join(staging, MEMORY_ARCHIVE_FILE), 'tar!');
    const calls = recordDiskCalls();
    await files.commit(staging, manifest());
    const renamed = calls.indexOf(`rename ${staging}`);
    assert.ok(renamed > 0, calls.join('\n'));
    assert.deepEqual(
      calls.slice(0, renamed).sort(),
      [
        `fsync ${staging}`,
        `fsync ${join(staging, 'engram.db')}`,
        `fsync ${join(staging, 'manifest.json')}`,
        `fsync ${join(staging, MEMORY_ARCHIVE_FILE)}`,
      ].sort(),
    );
    assert.deepEqual(calls.slice(renamed + 1), [`fsync ${root}`]);
    assert.equal((await files.read(ID))?.state, 'ok');
  });
});
