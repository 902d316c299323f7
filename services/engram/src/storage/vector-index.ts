import { HammingIndex } from './hamming-index';
import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';

export interface ScoredId {
  id: number;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  distance: number;
}

/**
 * Embeddings of live memories: float32 blobs in `memory_embeddings` for exact scores, and their
 * 1-bit quantisation (sqlite-vec's `vec_quantize_binary`) persisted in a `vec0` table (rowid = memory
 * id, partitioned by namespace) and mirrored in memory (HammingIndex) for a fast first pass whose
 * candidates are then re-scored exactly. The mirror loads lazily on the first quantised search, so
 * start-up does not pay for it; a failed write transaction drops it to be reloaded from the table.
 */
export class VectorIndex {
  static readonly TABLE = 'memory_vectors';
  // Prepared lazily: the vec0 table does not exist until `create` ran.
  private readonly statements: PreparedStatements;
  private mirror: HammingIndex | undefined;
  /** `PRAGMA data_version` when the mirror was loaded: it changes when another process commits. */
  private mirrorDataVersion = -1;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  /** Creates the quantised index for this dimension if absent (idempotent). */
  create(dimension: number): void {
    this.db.exec(
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${VectorIndex.TABLE} USING vec0 (namespace TEXT PARTITION KEY, embedding BIT[${dimension}])`,
    );
  }

  /** Drops every vector; used only when the embedding model changes on an empty database. */
  dropAll(): void {
    this.statements.clear();
    this.mirror = undefined;
    this.db.exec(`DROP TABLE IF EXISTS ${VectorIndex.TABLE}; DELETE FROM memory_embeddings;`);
  }

  put(id: number, namespace: string, vector: Float32Array): void {
    const blob = toBlob(vector);
    this.statements.get('INSERT OR REPLACE INTO memory_embeddings (memory_id, embedding) VALUES (?, ?)').run(id, blob);
    this.statements.get(`DELETE FROM ${VectorIndex.TABLE} WHERE rowid = ?`).run(BigInt(id));
    this.statements
      .get(`INSERT INTO ${VectorIndex.TABLE} (rowid, namespace, embedding) VALUES (?, ?, vec_quantize_binary(?))`)
      .run(BigInt(id), namespace, blob);
    this.mirror?.set(id, namespace, this.quantise(vector));
  }

  remove(id: number): void {
    this.statements.get('DELETE FROM memory_embeddings WHERE memory_id = ?').run(id);
    this.statements.get(`DELETE FROM ${VectorIndex.TABLE} WHERE rowid = ?`).run(BigInt(id));
    this.mirror?.delete(id);
  }

  /** First pass: the k nearest by Hamming distance over the 1-bit vectors. */
  nearestByBits(namespace: string, vector: Float32Array, k: number): number[] {
    return this.loadedMirror().nearest(namespace, this.quantise(vector), k);
  }

  /** Forget the in-memory mirror (after a rolled-back write); the next search reloads it. */
  invalidate(): void {
    this.mirror = undefined;
  }

  private quantise(vector: Float32Array): Uint8Array {
    return this.statements.get('SELECT vec_quantize_binary(?)').pluck().get(toBlob(vector)) as Buffer;
  }

  private loadedMirror(): HammingIndex {
    // Another process (`engram mcp` over stdio, the worker's restore or reindex) may have written
    // vectors this mirror has not seen: reload when the database changed under us.
    const dataVersion = this.statements.get('PRAGMA data_version').pluck().get() as number;
    if (this.mirror && dataVersion === this.mirrorDataVersion) return this.mirror;
    this.mirrorDataVersion = dataVersion;
    const rows = this.statements
      .get(`SELECT rowid AS id, namespace, embedding AS bits FROM ${VectorIndex.TABLE}`)
      .iterate() as IterableIterator<{ id: number | bigint; namespace: string; bits: Buffer }>;
    let mirror: HammingIndex | undefined;
    for (const { id, namespace, bits } of rows) {
      mirror ??= new HammingIndex(bits.length);
      mirror.set(Number(id), namespace, bits);
    }
    this.mirror = mirror ?? new HammingIndex(this.bytesPerVector());
    return this.mirror;
  }

  private bytesPerVector(): number {
    const dimension = this.statements.get("SELECT value FROM settings WHERE key = 'embedding_dimension'").pluck().get();
    return Math.ceil(Number(dimension ?? 0) / 8);
  }

  /** Exact cosine distances for the given ids, nearest first. */
  rescore(ids: readonly number[], vector: Float32Array): ScoredId[] {
    if (ids.length === 0) return [];
    return this.statements
      .get(
        `SELECT memory_id AS id, vec_distance_cosine(embedding, ?) AS distance FROM memory_embeddings
       WHERE memory_id IN (SELECT value FROM json_each(?)) ORDER BY distance`,
      )
      .all(toBlob(vector), JSON.stringify(ids)) as ScoredId[];
  }
}

export function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}
