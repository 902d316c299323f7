import { randomUUID } from 'node:crypto';
import { EmbeddingUnavailable } from '../common/domain-errors';
import { HammingIndex } from './hamming-index';
import { PreparedStatements } from './prepared-statements';
import { ScoredId } from './search.store';
import { SqliteDatabase } from './sqlite.connection';

/** Changes kept in the log, and how often old ones are pruned. */
const CHANGES_KEPT = 100_000;
const PRUNE_EVERY_WRITES = 1_000;

/**
 * Embeddings of live memories: float32 blobs in `memory_embeddings` for exact scores, and their
 * 1-bit quantisation (sqlite-vec's `vec_quantize_binary`) persisted in a `vec0` table (rowid = memory
 * id, partitioned by namespace) and mirrored in memory (HammingIndex) for a fast first pass whose
 * candidates are then re-scored exactly. The mirror loads lazily on the first quantised search, so
 * start-up does not pay for it; a failed write transaction drops it to be reloaded from the table.
 *
 * Other processes write the same file (`engram mcp` over stdio, the worker). Every vector write is
 * logged in `vector_changes`, so when `PRAGMA data_version` says another connection committed, the
 * mirror replays just those changes; a wholesale rewrite (restore, reindex switch) sets a new
 * `vector_epoch` and the mirror reloads.
 */
export class VectorIndex {
  static readonly TABLE = 'memory_vectors';
  // Prepared lazily: the vec0 table does not exist until `create` ran.
  private readonly statements: PreparedStatements;
  private mirror: HammingIndex | undefined;
  /** `PRAGMA data_version` when the mirror last caught up: it changes when another process commits. */
  private mirrorDataVersion = -1;
  private mirrorEpoch: string | undefined;
  /** The last `vector_changes` entry the mirror has applied. */
  private mirrorSeq = 0;
  private writesSincePrune = 0;
  /** The model this process embeds with; vectors of another are refused (see assertModel). */
  private expectedModel: string | undefined;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  /**
   * After a wholesale rewrite of the vectors (by any connection, inside its transaction): the change log
   * is emptied and a new epoch tells every mirror to reload.
   */
  static markRebuilt(db: SqliteDatabase): void {
    db.exec('DELETE FROM vector_changes');
    db.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES ('vector_epoch', ?)").run(randomUUID());
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
    VectorIndex.markRebuilt(this.db);
  }

  /** Remember which model this process embeds with (set once the database is bound to it). */
  expectModel(modelId: string): void {
    this.expectedModel = modelId;
  }

  /**
   * Refuses to mix models: another process may have reindexed the file to a new model while this one
   * still embeds with the old (it must restart to switch).
   */
  assertModel(): void {
    if (this.expectedModel === undefined) return;
    const stored = this.statements.get("SELECT value FROM settings WHERE key = 'embedding_model'").pluck().get();
    if (stored !== undefined && stored !== this.expectedModel) {
      throw new EmbeddingUnavailable(
        `The database now holds vectors of ${String(stored)} (reindexed by another process) but this process embeds ` +
          `with ${this.expectedModel}: restart it with the new model`,
      );
    }
  }

  put(id: number, namespace: string, vector: Float32Array): void {
    this.assertModel();
    const blob = toBlob(vector);
    this.statements.get('INSERT OR REPLACE INTO memory_embeddings (memory_id, embedding) VALUES (?, ?)').run(id, blob);
    this.statements.get(`DELETE FROM ${VectorIndex.TABLE} WHERE rowid = ?`).run(BigInt(id));
    this.statements
      .get(`INSERT INTO ${VectorIndex.TABLE} (rowid, namespace, embedding) VALUES (?, ?, vec_quantize_binary(?))`)
      .run(BigInt(id), namespace, blob);
    this.logChange(id);
    this.mirror?.set(id, namespace, this.quantise(vector));
  }

  remove(id: number): void {
    this.statements.get('DELETE FROM memory_embeddings WHERE memory_id = ?').run(id);
    this.statements.get(`DELETE FROM ${VectorIndex.TABLE} WHERE rowid = ?`).run(BigInt(id));
    this.logChange(id);
    this.mirror?.delete(id);
  }

  /** First pass: the k nearest by Hamming distance over the 1-bit vectors. */
  nearestByBits(namespace: string, vector: Float32Array, k: number): number[] {
    return this.loadedMirror().nearest(namespace, this.quantise(vector), k);
  }

  /** Whether the Hamming mirror is in memory (loading it reads every 1-bit vector: ~12 s at a million). */
  get mirrorLoaded(): boolean {
    return this.mirror !== undefined;
  }

  /** Forget the in-memory mirror (after a rolled-back write); the next search reloads it. */
  invalidate(): void {
    this.mirror = undefined;
  }

  private logChange(id: number): void {
    this.statements.get('INSERT INTO vector_changes (memory_id) VALUES (?)').run(id);
    if (++this.writesSincePrune >= PRUNE_EVERY_WRITES) {
      this.writesSincePrune = 0;
      // A mirror further behind than what is kept reloads in full instead.
      this.statements
        .get('DELETE FROM vector_changes WHERE seq <= (SELECT max(seq) FROM vector_changes) - ?')
        .run(CHANGES_KEPT);
    }
  }

  private quantise(vector: Float32Array): Uint8Array {
    return this.statements.get('SELECT vec_quantize_binary(?)').pluck().get(toBlob(vector)) as Buffer;
  }

  private loadedMirror(): HammingIndex {
    const dataVersion = this.statements.get('PRAGMA data_version').pluck().get() as number;
    if (this.mirror && dataVersion === this.mirrorDataVersion) return this.mirror;
    // One read transaction: the epoch, the log and the vectors come from the same snapshot.
    this.db.transaction(() => {
      const epoch = this.statements.get("SELECT value FROM settings WHERE key = 'vector_epoch'").pluck().get() as
        string | undefined;
      if (!this.mirror || epoch !== this.mirrorEpoch || !this.catchUp()) this.reload();
      this.mirrorEpoch = epoch;
    })();
    this.mirrorDataVersion = dataVersion;
    return this.mirror!;
  }

  /** Applies the logged changes after mirrorSeq; false when the log no longer reaches back that far. */
  private catchUp(): boolean {
    const oldest = this.statements.get('SELECT min(seq) FROM vector_changes').pluck().get() as number | null;
    if (oldest !== null && oldest > this.mirrorSeq + 1) return false;
    const changes = this.statements
      .get('SELECT seq, memory_id AS id FROM vector_changes WHERE seq > ? ORDER BY seq')
      .all(this.mirrorSeq) as { seq: number; id: number }[];
    const row = this.statements.get(`SELECT namespace, embedding AS bits FROM ${VectorIndex.TABLE} WHERE rowid = ?`);
    for (const { seq, id } of changes) {
      const current = row.get(BigInt(id)) as { namespace: string; bits: Buffer } | undefined;
      if (current) this.mirror!.set(id, current.namespace, current.bits);
      else this.mirror!.delete(id);
      this.mirrorSeq = seq;
    }
    return true;
  }

  private reload(): void {
    this.mirrorSeq = (this.statements.get('SELECT max(seq) FROM vector_changes').pluck().get() as number | null) ?? 0;
    const rows = this.statements
      .get(`SELECT rowid AS id, namespace, embedding AS bits FROM ${VectorIndex.TABLE}`)
      .iterate() as IterableIterator<{ id: number | bigint; namespace: string; bits: Buffer }>;
    let mirror: HammingIndex | undefined;
    for (const { id, namespace, bits } of rows) {
      mirror ??= new HammingIndex(bits.length);
      mirror.set(Number(id), namespace, bits);
    }
    this.mirror = mirror ?? new HammingIndex(this.bytesPerVector());
  }

  private bytesPerVector(): number {
    const dimension = this.statements.get("SELECT value FROM settings WHERE key = 'embedding_dimension'").pluck().get();
    return Math.ceil(Number(dimension ?? 0) / 8);
  }

  /** The full-precision embedding of a live memory, if it has one. */
  embeddingOf(id: number): Float32Array | undefined {
    const blob = this.statements.get('SELECT embedding FROM memory_embeddings WHERE memory_id = ?').pluck().get(id) as
      Buffer | undefined;
    return blob && new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  }

  /** Exact cosine distances for the given ids, nearest first. */
  rescore(ids: readonly number[], vector: Float32Array): ScoredId[] {
    if (ids.length === 0) return [];
    return this.statements.get(RESCORE_SQL).all(toBlob(vector), JSON.stringify(ids)) as ScoredId[];
  }
}

/**
 * Exact cosine distances of memories (a JSON array of ids, the second parameter) to a vector (a float32
 * blob, the first), nearest first: the re-score of every vector search, on this thread or the index's.
 */
export const RESCORE_SQL = `SELECT memory_id AS id, vec_distance_cosine(embedding, ?) AS distance FROM memory_embeddings
  WHERE memory_id IN (SELECT value FROM json_each(?)) ORDER BY distance`;

export function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}
