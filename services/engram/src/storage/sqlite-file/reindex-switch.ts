import { openSqliteDatabase } from '../sqlite.connection';
import { VectorIndex } from '../vector-index';
import { PENDING_FROM, PENDING_WHERE } from './reindex-staging.sql';

export type SwitchOutcome =
  { switched: true; vectors: number; transactionMs: number } | { switched: false; pending: number };

/**
 * Makes the staged vectors the live ones in one write transaction on a connection of its own: every
 * live memory's vector replaced, the quantised index rebuilt at the new dimension, and the settings
 * naming the new model, all visible at once. Refuses (changing nothing) while any live memory still
 * lacks a staged vector of its current content, e.g. one stored a moment ago.
 */
export function switchToStagedVectors(
  livePath: string,
  pragmas: Record<string, string>,
  encryptionKey?: string,
): SwitchOutcome {
  const db = openSqliteDatabase(livePath, pragmas, encryptionKey);
  try {
    const started = performance.now();
    const outcome = db
      .transaction((): SwitchOutcome => {
        const pending = db
          .prepare(`SELECT count(*) FROM ${PENDING_FROM} WHERE ${PENDING_WHERE}`)
          .pluck()
          .get() as number;
        if (pending > 0) return { switched: false, pending };
        const target = db.prepare('SELECT model, dimension FROM reindex_target WHERE id = 1').get() as
          { model: string; dimension: number } | undefined;
        if (!target) throw new Error('No reindex in progress: nothing to switch to');
        db.exec('DELETE FROM memory_embeddings');
        db.exec(`INSERT INTO memory_embeddings (memory_id, embedding)
               SELECT r.memory_id, r.embedding FROM reindex_vectors r
               JOIN memories m ON m.id = r.memory_id AND m.deleted_at IS NULL`);
        db.exec(`DROP TABLE IF EXISTS ${VectorIndex.TABLE}`);
        new VectorIndex(db).create(target.dimension);
        db.exec(`INSERT INTO ${VectorIndex.TABLE} (rowid, namespace, embedding)
               SELECT e.memory_id, m.namespace, vec_quantize_binary(e.embedding)
               FROM memory_embeddings e JOIN memories m ON m.id = e.memory_id`);
        const setting = db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
        setting.run('embedding_model', target.model);
        setting.run('embedding_dimension', String(target.dimension));
        db.exec('DROP TABLE reindex_vectors; DROP TABLE reindex_target;');
        VectorIndex.markRebuilt(db);
        const vectors = db.prepare('SELECT count(*) FROM memory_embeddings').pluck().get() as number;
        return { switched: true, vectors, transactionMs: 0 };
      })
      .immediate();
    return outcome.switched ? { ...outcome, transactionMs: Math.round(performance.now() - started) } : outcome;
  } finally {
    db.close();
  }
}
