import { PreparedStatements } from '../storage/prepared-statements';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { toBlob } from '../storage/vector-index';
import { PENDING_FROM, PENDING_WHERE, STAGING_SCHEMA } from './reindex-staging.sql';

export interface PendingMemory {
  id: number;
  content: string;
  contentHash: string;
}

export interface StagedVector {
  memoryId: number;
  contentHash: string;
  embedding: Float32Array;
}

/** The reindex staging area in the database: target model, staged vectors, what is left to embed. */
export class ReindexRepository {
  private statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  /**
   * Starts staging for the model, or continues an interrupted run for the same model. Vectors staged
   * for another model are discarded.
   */
  begin(model: string, dimension: number): { resumed: boolean } {
    return this.db.transaction(() => {
      this.db.exec(STAGING_SCHEMA);
      this.statements.clear();
      const current = this.statements.get('SELECT model, dimension FROM reindex_target WHERE id = 1').get() as
        { model: string; dimension: number } | undefined;
      if (current?.model === model && current.dimension === dimension) return { resumed: true };
      this.db.exec('DELETE FROM reindex_vectors');
      this.statements
        .get('INSERT OR REPLACE INTO reindex_target (id, model, dimension) VALUES (1, ?, ?)')
        .run(model, dimension);
      return { resumed: false };
    })();
  }

  /** The model the live vectors belong to. */
  storedModel(): string | undefined {
    return this.statements.get("SELECT value FROM settings WHERE key = 'embedding_model'").pluck().get() as
      string | undefined;
  }

  /** The model an interrupted reindex was heading for, if any. */
  target(): { model: string; dimension: number } | undefined {
    const exists = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reindex_target'")
      .pluck()
      .get();
    if (!exists) return undefined;
    return this.db.prepare('SELECT model, dimension FROM reindex_target WHERE id = 1').get() as
      { model: string; dimension: number } | undefined;
  }

  pending(limit: number): PendingMemory[] {
    return this.statements
      .get(
        `SELECT m.id AS id, m.content AS content, m.content_hash AS contentHash FROM ${PENDING_FROM}
         WHERE ${PENDING_WHERE} ORDER BY m.id LIMIT ?`,
      )
      .all(limit) as PendingMemory[];
  }

  countPending(): number {
    return this.statements.get(`SELECT count(*) FROM ${PENDING_FROM} WHERE ${PENDING_WHERE}`).pluck().get() as number;
  }

  countLive(): number {
    return this.statements.get('SELECT count(*) FROM memories WHERE deleted_at IS NULL').pluck().get() as number;
  }

  /** One transaction per batch: a crash loses at most the batch being embedded. */
  stage(vectors: readonly StagedVector[]): void {
    const insert = this.statements.get(
      'INSERT OR REPLACE INTO reindex_vectors (memory_id, content_hash, embedding) VALUES (?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const vector of vectors) insert.run(vector.memoryId, vector.contentHash, toBlob(vector.embedding));
    })();
  }
}
