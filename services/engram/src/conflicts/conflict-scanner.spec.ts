import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { bindEmbeddingModel } from '../storage/embedding-model.binding';
import { NewMemory } from '../storage/memory.record';
import { MemoryRepository } from '../storage/memory.repository';
import { SearchStore } from '../storage/search.store';
import { SqliteConflictStore } from '../storage/sqlite/sqlite-conflict.store';
import { SqliteMemoryStore } from '../storage/sqlite/sqlite-memory.store';
import { openSqliteDatabase, SqliteDatabase } from '../storage/sqlite.connection';
import { VectorIndex } from '../storage/vector-index';
import { makeTempDir } from '../testing/test-app';
import { ConflictJudgeService } from './conflict-judge.service';
import { ConflictScanner } from './conflict-scanner';

const MEMORIES = 450;
const DELETED_MEANWHILE = 50;

function memory(i: number): NewMemory {
  return {
    namespace: 'default',
    contentHash: `h${i}`,
    content: `memory ${i}`,
    memoryType: 'note',
    metadata: {},
    tags: [],
    createdAt: 1_000 + ((i * 37) % MEMORIES),
    updatedAt: 1_000,
    embedding: Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0),
  };
}

/**
 * A scan pages through the namespace after the last memory it read, not at an offset: an offset page
 * walked past every memory before it (quadratic in the namespace's size), and when memories already
 * reviewed were deleted meanwhile, the ones that slid back past the offset were never reviewed.
 */
describe('a conflict scan (real SQLite, no vectors)', () => {
  const dir = makeTempDir();
  let db: SqliteDatabase;
  let memories: SqliteMemoryStore;

  before(async () => {
    const path = join(dir, 'engram.db');
    db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, path, { modelId: 'test-8', dimension: 8 });
    memories = new SqliteMemoryStore(new MemoryRepository(db, new VectorIndex(db)));
    await memories.insertMany(Array.from({ length: MEMORIES }, (_, i) => memory(i)));
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reviews every current memory once, although reviewed ones are deleted while it runs', async () => {
    const reviewed: number[] = [];
    // The scanner asks for each current memory's vector before reviewing it; with none, the review ends there.
    const search = {
      embeddingsOf: async (ids: readonly number[]) => {
        reviewed.push(...ids);
        return new Map();
      },
    } as unknown as SearchStore;
    const judge = { configured: false } as ConflictJudgeService;
    const scanner = new ConflictScanner(memories, search, new SqliteConflictStore(db), judge);
    let deleted = false;
    const result = await scanner.scanNamespace('default', async () => {
      if (deleted) return;
      deleted = true;
      for (const id of reviewed.slice(0, DELETED_MEANWHILE)) await memories.softDelete(id, Date.now());
    });
    assert.equal(new Set(reviewed).size, reviewed.length, 'none twice');
    assert.equal(reviewed.length, MEMORIES);
    assert.equal(result.scanned, MEMORIES);
  });
});
