import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { makeTempDir } from '../testing/test-app';
import { bindEmbeddingModel } from './embedding-model.binding';
import { NewMemory } from './memory.record';
import { MemoryRepository, TRASH_BY_HASH_PREFIX, TRASH_PAGE } from './memory.repository';
import { openSqliteDatabase, SqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

const TEXTS = 120;

function memory(i: number, namespace = 'default'): NewMemory {
  return {
    namespace,
    contentHash: `h${i}`,
    content: `memory ${i}`,
    memoryType: 'note',
    metadata: {},
    tags: [],
    createdAt: 1_000 + i,
    updatedAt: 1_000 + i,
    embedding: Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0),
  };
}

/**
 * A page of the trash costs the depth of the page, not its square: each tombstone walked finds its hash's
 * newest deletion in the trash's hash index (a walk of the whole trash by time for each one made the last
 * page of 9,800 tombstones take 40 s).
 */
describe('trash pages (real SQLite)', () => {
  const dir = makeTempDir();
  let db: SqliteDatabase;
  let memories: MemoryRepository;
  /** Each text's newest tombstone, newest deletion first: the trash as the user sees it. */
  const expected: number[] = [];

  before(() => {
    const path = join(dir, 'engram.db');
    db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, path, { modelId: 'test-8', dimension: 8 });
    memories = new MemoryRepository(db, new VectorIndex(db));
    let at = 10_000;
    const deleteAll = (namespace: string) => {
      for (const { memory: stored } of memories.insertMany(
        Array.from({ length: TEXTS }, (_, i) => memory(i, namespace)),
      )) {
        memories.softDelete(stored.id, at++);
      }
    };
    deleteAll('other');
    deleteAll('default');
    // A third of the texts stored and deleted again: their older tombstones are not listed.
    for (const { memory: stored } of memories.insertMany(Array.from({ length: TEXTS / 3 }, (_, i) => memory(i * 3)))) {
      memories.softDelete(stored.id, at++);
    }
    expected.push(
      ...(db
        .prepare(
          `SELECT max(id) FROM memories WHERE namespace = 'default' AND deleted_at IS NOT NULL
           GROUP BY content_hash ORDER BY max(deleted_at) DESC`,
        )
        .pluck()
        .all() as number[]),
    );
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists each text's newest deletion once, newest first, on every page", () => {
    const listed: number[] = [];
    for (let offset = 0; offset < TEXTS + 20; offset += 20) {
      listed.push(...memories.listDeleted('default', offset, 20).map(({ id }) => id));
    }
    assert.equal(memories.countDeleted('default'), TEXTS);
    assert.deepEqual(listed, expected);
  });

  it("finds a tombstone's newest deletion by its hash, not by walking the trash", () => {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${TRASH_PAGE}`).all('default', 20, 100) as { detail: string }[]).map(
      ({ detail }) => detail,
    );
    assert.ok(
      plan.some((detail) =>
        /^SEARCH n USING INDEX memories_trash_by_hash \(namespace=\? AND content_hash=\?\)/.test(detail),
      ),
      JSON.stringify(plan),
    );
  });

  it('finds texts in the trash by the start of their hash in hash order, each as its newest deletion', () => {
    const found = memories.findDeletedByHashPrefix('default', 'h1', 6);
    assert.deepEqual(
      found.map(({ contentHash }) => contentHash),
      ['h1', 'h10', 'h100', 'h101', 'h102', 'h103'],
    );
    assert.ok(
      found.every(({ id }) => expected.includes(id)),
      'h102 was deleted twice: its newer tombstone',
    );
    // A range of the trash's hash index read in its order: no sort of the range before the LIMIT.
    const plan = (
      db.prepare(`EXPLAIN QUERY PLAN ${TRASH_BY_HASH_PREFIX}`).all('default', 'h1', 'h1g', 6) as { detail: string }[]
    ).map(({ detail }) => detail);
    assert.match(
      plan[0],
      /^SEARCH m USING INDEX memories_trash_by_hash \(namespace=\? AND content_hash>\? AND content_hash<\?\)/,
    );
    assert.ok(!plan.some((detail) => detail.includes('TEMP B-TREE')), JSON.stringify(plan));
  });
});
