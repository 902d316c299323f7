import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { UploadShelf } from '../upload-shelf';
import { PostgresDatabase } from './postgres.database';

/** Parts of 1 MiB: one row each, so neither a write nor a read holds a whole upload in memory. */
const PART_BYTES = 1024 * 1024;

/** Uploads in `import_uploads` (migration 10), part by part, written in one transaction. */
export class PostgresUploadShelf extends UploadShelf {
  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  put(uploadId: string, file: string): Promise<void> {
    return this.db.transaction(async (client) => {
      let part = 0;
      const now = Date.now();
      for await (const chunk of createReadStream(file, { highWaterMark: PART_BYTES })) {
        await client.query('INSERT INTO import_uploads (upload_id, part, data, stored_at) VALUES ($1, $2, $3, $4)', [
          uploadId,
          part++,
          chunk,
          now,
        ]);
      }
      // An empty upload still has a (empty) part, so `fetch` can tell it from a missing one.
      if (part === 0) {
        await client.query('INSERT INTO import_uploads (upload_id, part, data, stored_at) VALUES ($1, 0, $2, $3)', [
          uploadId,
          Buffer.alloc(0),
          now,
        ]);
      }
    });
  }

  async fetch(uploadId: string, file: string): Promise<boolean> {
    const [first] = await this.partOf(uploadId, 0);
    if (first === undefined) return false;
    const handle = await open(file, 'wx');
    try {
      await handle.write(first.data);
      for (let part = 1; ; part++) {
        const [row] = await this.partOf(uploadId, part);
        if (row === undefined) return true;
        await handle.write(row.data);
      }
    } finally {
      await handle.close();
    }
  }

  async remove(uploadId: string): Promise<void> {
    await this.db.query('DELETE FROM import_uploads WHERE upload_id = $1', [uploadId]);
  }

  async pruneBefore(before: number): Promise<void> {
    await this.db.query('DELETE FROM import_uploads WHERE stored_at < $1', [before]);
  }

  private partOf(uploadId: string, part: number) {
    return this.db.query<{ data: Buffer }>('SELECT data FROM import_uploads WHERE upload_id = $1 AND part = $2', [
      uploadId,
      part,
    ]);
  }
}
