import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QueryResultRow } from 'pg';
import { openPlannedStores } from '../../testing/postgres-plans';
import { noteWithVector } from '../../testing/text-vectors';
import { Queryable } from './postgres.database';
import { PostgresStores } from './postgres.stores';

const MODEL = { modelId: 'pg-model', dimension: 8 };

const memory = (content: string) => ({ ...noteWithVector(content, MODEL.dimension), tags: ['race'] });

/**
 * A store whose text is live, and deleted by another replica between the insert that met it and the read
 * of it (READ COMMITTED: the delete is seen by the next statement). The interleaving is forced here by
 * running the other replica's delete, as committed, right after the insert that met the text.
 */
describe('storing a text another replica deletes at that moment (PostgreSQL)', () => {
  let stores: PostgresStores;
  before(async () => {
    stores = await openPlannedStores(MODEL);
  });
  after(async () => {
    await stores.close();
  });

  /** Runs `meanwhile` on the transaction's connection after the first insert that met a live text. */
  function afterFirstClash(meanwhile: (client: Queryable) => Promise<void>): () => void {
    const db = stores.db;
    const { transaction } = db;
    let done = false;
    db.transaction = <T>(inside: (client: Queryable) => Promise<T>) =>
      transaction.call(db, (client) =>
        inside({
          query: async <Row extends QueryResultRow>(sql: string, params: readonly unknown[] = []) => {
            const rows = await client.query<Row>(sql, params);
            if (!done && /^INSERT INTO memories /.test(sql.trim()) && rows.length === 0) {
              done = true;
              await meanwhile(client);
            }
            return rows;
          },
        }),
      ) as Promise<T>;
    return () => (db.transaction = transaction);
  }

  it('stores it anew instead of failing on a memory that is gone', async () => {
    const text = memory('the text deleted while it is stored again');
    const [first] = await stores.memories.insertMany([text]);
    assert.equal(first.created, true);
    const restore = afterFirstClash(async (client) => {
      await client.query('UPDATE memories SET deleted_at = 2000 WHERE id = $1', [first.memory.id]);
    });
    let again;
    try {
      [again] = await stores.memories.insertMany([text]);
    } finally {
      restore();
    }
    assert.equal(again.created, true, 'the text was free again');
    assert.notEqual(again.memory.id, first.memory.id);
    const live = await stores.memories.findLiveByHash('default', text.contentHash);
    assert.equal(live?.id, again.memory.id);
    assert.deepEqual(live?.tags, ['race']);
  });

  /**
   * Restoring from the trash a text another replica stores and deletes at that moment: its copy goes live
   * between the restore's check and its update (a unique violation) and is gone before the restore looks
   * for it. Forced here by a live copy written on the restore's own connection just before its update: the
   * update fails on it, and the rollback takes the copy away, as the other replica's delete would.
   */
  it('restores it on a second try instead of failing on a copy that is gone', async () => {
    const text = memory('the text restored while a copy comes and goes');
    const [first] = await stores.memories.insertMany([text]);
    await stores.memories.softDelete(first.memory.id, 1000);
    const { transaction } = stores.db;
    let copies = 0;
    stores.db.transaction = <T>(inside: (client: Queryable) => Promise<T>) =>
      transaction.call(stores.db, (client) =>
        inside({
          query: async <Row extends QueryResultRow>(sql: string, params: readonly unknown[] = []) => {
            if (copies === 0 && /^UPDATE memories SET deleted_at = NULL/.test(sql.trim())) {
              copies += 1;
              await client.query(
                `INSERT INTO memories (namespace, content_hash, content, memory_type, metadata, created_at, updated_at)
                 VALUES ('default', $1, $2, 'note', '{}', 1500, 1500)`,
                [text.contentHash, text.content],
              );
            }
            return client.query<Row>(sql, params);
          },
        }),
      ) as Promise<T>;
    let outcome;
    try {
      outcome = await stores.memories.restoreDeleted(first.memory.id, 'default', text.embedding, 2000);
    } finally {
      stores.db.transaction = transaction;
    }
    assert.equal(copies, 1, 'the copy was written once');
    assert.ok(typeof outcome === 'object' && 'restored' in outcome, 'restored on the second try');
    assert.equal(outcome.restored.id, first.memory.id);
    const live = await stores.memories.findLiveByHash('default', text.contentHash);
    assert.equal(live?.id, first.memory.id);
  });
});
