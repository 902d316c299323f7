import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, it, mock } from 'node:test';
import { ImportConfig } from '../config/config.types';
import { recordDiskCalls } from '../testing/disk-calls';
import { makeTempDir } from '../testing/test-app';
import { ImportUploadRepository } from './import-upload.repository';

describe('ImportUploadRepository.save', () => {
  afterEach(() => mock.restoreAll());

  it('puts a kept upload, its folder and the folder’s entry on disk before its import can be queued', async () => {
    const data = makeTempDir();
    const config: ImportConfig = {
      uploadDir: join(data, 'import-uploads'),
      maxUploadBytes: 1024 * 1024,
      maxUnpackedBytes: 1024 * 1024,
      maxEntries: 10,
      chunkChars: 2000,
      chunkOverlapChars: 200,
      readTimeoutMs: 300_000,
    };
    const calls = recordDiskCalls();
    const saved = await new ImportUploadRepository(config).save(Readable.from([Buffer.from('# Notes\n')]), 'notes.md');
    const folder = join(config.uploadDir, saved.uploadId);
    assert.deepEqual(calls, [
      `fsync ${config.uploadDir}`,
      `fsync ${data}`,
      `fsync ${join(folder, 'notes.md')}`,
      `fsync ${folder}`,
    ]);
    assert.equal(readFileSync(join(folder, 'notes.md'), 'utf8'), '# Notes\n');
  });
});
