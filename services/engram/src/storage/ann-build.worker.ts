import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { createAnnIndex } from './ann-index-file';

/** What the thread is asked to build. */
export interface AnnBuildRequest {
  databasePath: string;
  dimension: number;
  outputPath: string;
  threads: number;
}

export type AnnBuildMessage =
  | { kind: 'progress'; added: number; total: number }
  | { kind: 'done'; seq: number; epoch: string | null; count: number }
  | { kind: 'failed'; message: string };

const CHUNK_ROWS = 2_000;

/**
 * Builds the HNSW index of every stored vector on a read-only connection of its own, off the serving
 * thread, and saves it to `outputPath`. The log position is read first; rows are then read in id order
 * in short statements (no snapshot held for minutes), so a row may be newer than that position, which
 * is harmless: catching up from it replays each change by reading the row's current state.
 */
function build(request: AnnBuildRequest): void {
  const db = new Database(request.databasePath, { readonly: true, fileMustExist: true });
  try {
    const { seq, epoch } = db.transaction(() => ({
      seq: (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'").pluck().get() as number) ?? 0,
      epoch: (db.prepare("SELECT value FROM settings WHERE key = 'vector_epoch'").pluck().get() as string) ?? null,
    }))();
    const total = db.prepare('SELECT count(*) FROM memory_embeddings').pluck().get() as number;
    const index = createAnnIndex(request.dimension);
    const next = db.prepare(
      'SELECT memory_id AS id, embedding FROM memory_embeddings WHERE memory_id > ? ORDER BY memory_id LIMIT ?',
    );
    let added = 0;
    for (let after = 0; ;) {
      const rows = next.all(after, CHUNK_ROWS) as { id: number; embedding: Buffer }[];
      if (rows.length === 0) break;
      const keys = new BigUint64Array(rows.length);
      const vectors = new Float32Array(rows.length * request.dimension);
      rows.forEach((row, i) => {
        keys[i] = BigInt(row.id);
        // Copied byte-wise: a blob's offset in its buffer need not be 4-byte aligned.
        new Uint8Array(vectors.buffer, i * request.dimension * 4, request.dimension * 4).set(row.embedding);
      });
      index.add(keys, vectors, request.threads);
      added += rows.length;
      after = rows[rows.length - 1].id;
      parentPort!.postMessage({ kind: 'progress', added, total } satisfies AnnBuildMessage);
    }
    index.save(request.outputPath);
    parentPort!.postMessage({ kind: 'done', seq, epoch, count: added } satisfies AnnBuildMessage);
  } finally {
    db.close();
  }
}

try {
  build(workerData as AnnBuildRequest);
} catch (error) {
  parentPort!.postMessage({ kind: 'failed', message: (error as Error).message } satisfies AnnBuildMessage);
}
