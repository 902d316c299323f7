import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it, mock } from 'node:test';
import { recordDiskCalls } from '../testing/disk-calls';
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

describe('BackupRepository.commit', () => {
  afterEach(() => mock.restoreAll());

  it('puts every file and the folder on disk before the backup is renamed into place, and the rename after', async () => {
    const root = makeTempDir();
    const files = new BackupRepository(root);
    const staging = await files.stage(ID, 'manual');
    writeFileSync(join(staging, 'engram.db'), 'copy');
    writeFileSync(join(staging, MEMORY_ARCHIVE_FILE), 'tar!');
    const calls = recordDiskCalls();
    await files.commit(staging, manifest());
    const renamed = calls.indexOf(`rename ${staging} -> ${join(root, ID)}`);
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

describe('BackupRepository.replaceDirectory', () => {
  afterEach(() => mock.restoreAll());

  it('puts every restored file and folder on disk before the restored folder takes the live one’s name', async () => {
    const root = makeTempDir();
    const files = new BackupRepository(join(root, 'backups'));
    const source = join(root, 'source');
    mkdirSync(join(source, 'main', 'people'), { recursive: true });
    writeFileSync(join(source, 'main', 'people', 'alice.md'), 'Alice');
    const archive = join(root, 'memory.tar.gz');
    await files.archiveDirectory(source, archive);
    const live = join(root, 'memory');
    mkdirSync(live);
    const calls = recordDiskCalls();
    await files.replaceDirectory(live, archive);
    const swapped = calls.findIndex((call) => call.startsWith('rename ') && call.endsWith(` -> ${live}`));
    assert.ok(swapped > 0, calls.join('\n'));
    const incoming = calls[swapped].split(' ')[1];
    const synced = calls.slice(0, swapped).filter((call) => call.startsWith('fsync '));
    assert.deepEqual(
      synced.sort(),
      [
        `fsync ${incoming}`,
        `fsync ${join(incoming, 'main')}`,
        `fsync ${join(incoming, 'main', 'people')}`,
        `fsync ${join(incoming, 'main', 'people', 'alice.md')}`,
      ].sort(),
    );
    assert.deepEqual(calls.slice(swapped + 1), [`fsync ${root}`]);
    assert.equal(readFileSync(join(live, 'main', 'people', 'alice.md'), 'utf8'), 'Alice');
  });
});
