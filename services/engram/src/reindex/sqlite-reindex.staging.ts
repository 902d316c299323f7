import { SqliteFileRepository } from '../storage/sqlite-file/sqlite-file.repository';
import { PreparedStatements } from '../storage/prepared-statements';
import { SqliteDatabase } from '../storage/sqlite.connection';
import { toBlob } from '../storage/vector-index';
import { PENDING_FROM, PENDING_WHERE, STAGING_SCHEMA } from '../storage/sqlite-file/reindex-staging.sql';
import { PendingMemory, ReindexStaging, StagedVector, SwitchOutcome } from './reindex-staging';

/**
 * ReindexStaging on SQLite: staging tables created on demand in the live file, and the switch run on a
 * connection of its own in a worker thread (reindex-switch.ts), so the calling event loop keeps answering.
 */
export class SqliteReindexStaging extends ReindexStaging {
  private statements: PreparedStatements;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly files: SqliteFileRepository,
    private readonly live: { path: string; pragmas: Record<string, string> },
  ) {
    super();
    this.statements = new PreparedStatements(db);
  }

  async begin(model: string, dimension: number): Promise<{ resumed: boolean }> {
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

  async storedModel(): Promise<string | undefined> {
    return this.statements.get("SELECT value FROM settings WHERE key = 'embedding_model'").pluck().get() as
      string | undefined;
  }

  async pending(afterId: number, limit: number): Promise<PendingMemory[]> {
    return this.statements
      .get(
        `SELECT m.id AS id, m.content AS content, m.content_hash AS contentHash FROM ${PENDING_FROM}
         WHERE ${PENDING_WHERE} AND m.id > ? ORDER BY m.id LIMIT ?`,
      )
      .all(afterId, limit) as PendingMemory[];
  }

  async countPending(): Promise<number> {
    return this.statements.get(`SELECT count(*) FROM ${PENDING_FROM} WHERE ${PENDING_WHERE}`).pluck().get() as number;
  }

  async countLive(): Promise<number> {
    return this.statements.get('SELECT count(*) FROM memories WHERE deleted_at IS NULL').pluck().get() as number;
  }

  async stage(vectors: readonly StagedVector[]): Promise<void> {
    const insert = this.statements.get(
      'INSERT OR REPLACE INTO reindex_vectors (memory_id, content_hash, embedding) VALUES (?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const vector of vectors) insert.run(vector.memoryId, vector.contentHash, toBlob(vector.embedding));
    })();
  }

  switchToStaged(): Promise<SwitchOutcome> {
    return this.files.switchToStagedVectors(this.live.path, this.live.pragmas);
  }
}
