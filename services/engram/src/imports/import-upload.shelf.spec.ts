import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ImportConfig } from '../config/config.types';
import { openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { PostgresDatabase } from '../storage/postgres/postgres.database';
import { PostgresUploadShelf } from '../storage/postgres/postgres-upload.shelf';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir } from '../testing/test-app';
import { ImportInputMissing } from './imports.errors';
import { ImportUploadRepository } from './import-upload.repository';

/** The upload folder of one node: api and worker pods on different nodes each have their own. */
const folders = new WeakMap<ImportUploadRepository, string>();

function node(shelf: PostgresUploadShelf, maxUploadBytes = 16 * 1024 * 1024): ImportUploadRepository {
  const config: ImportConfig = {
    uploadDir: join(makeTempDir(), 'import-uploads'),
    maxUploadBytes,
    maxUnpackedBytes: 64 * 1024 * 1024,
    maxEntries: 1000,
    chunkChars: 2000,
    chunkOverlapChars: 200,
    readTimeoutMs: 300_000,
  };
  const uploads = new ImportUploadRepository(config, shelf);
  folders.set(uploads, config.uploadDir);
  return uploads;
}

describe('import uploads on PostgreSQL: taken by an api on one node, read by a worker on another', () => {
  let server: TestPostgres;
  let db: PostgresDatabase;
  let shelf: PostgresUploadShelf;
  before(async () => {
    server = await startTestPostgres();
    db = await openPostgresDatabase({ url: server.url, poolSize: 4, statementTimeoutMs: 30_000 });
    shelf = new PostgresUploadShelf(db);
  });
  after(async () => {
    await db.close();
    await server.close();
  });

  it('gives the worker the exact bytes the api took, then forgets them everywhere when the import ends', async () => {
    const [api, worker, later] = [node(shelf), node(shelf), node(shelf)];
    const bytes = randomBytes(2.5 * 1024 * 1024); // three parts
    const saved = await api.save(Readable.from([bytes]), 'export.zip');
    const input = { kind: 'upload' as const, uploadId: saved.uploadId, fileName: saved.fileName };
    assert.deepEqual(await readdir(folders.get(api)!).catch(() => []), [], "nothing left on the api's disk");
    const located = await worker.locate(input);
    assert.deepEqual(await readFile(located.location), bytes);
    assert.equal(located.name, 'export.zip');
    await worker.remove(input);
    await assert.rejects(() => later.locate(input), ImportInputMissing);
  });

  it('keeps an empty upload as empty, and nothing of an upload over the limit', async () => {
    const [api, worker] = [node(shelf, 1024), node(shelf, 1024)];
    const empty = await api.save(Readable.from([Buffer.alloc(0)]), 'empty.json');
    const located = await worker.locate({ kind: 'upload', uploadId: empty.uploadId, fileName: empty.fileName });
    assert.equal((await readFile(located.location)).length, 0);
    await assert.rejects(() => api.save(Readable.from([randomBytes(4096)]), 'big.json'), { status: 413 });
    const [{ count }] = await db.query<{ count: number }>(
      'SELECT count(DISTINCT upload_id) AS count FROM import_uploads',
    );
    assert.equal(count, 1, 'only the empty upload is kept');
  });

  it('drops uploads whose import never ended once they are old enough', async () => {
    const [api, worker] = [node(shelf), node(shelf)];
    const saved = await api.save(Readable.from([Buffer.from('{"memories": []}')]), 'stale.json');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await worker.pruneOlderThan(1);
    const input = { kind: 'upload' as const, uploadId: saved.uploadId, fileName: saved.fileName };
    await assert.rejects(() => node(shelf).locate(input), ImportInputMissing);
  });
});
