import { join } from 'node:path';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { AnnIndex } from '../storage/ann-index';
import { bindEmbeddingModel } from '../storage/embedding-model.binding';
import { NewMemory } from '../storage/memory.record';
import { MemoryRepository } from '../storage/memory.repository';
import { SearchRepository } from '../storage/search.repository';
import { openSqliteDatabase, SqliteDatabase } from '../storage/sqlite.connection';
import { VectorIndex } from '../storage/vector-index';
import { seededRandom } from './seeded-random';

/** The dimension of the ANN specs' vectors: small, so tens of thousands of rows insert in seconds. */
export const ANN_TEST_DIMENSION = 32;

/** A SQLite file with the ANN index beside it, and the repositories searches go through. */
export interface AnnTestStore {
  path: string;
  db: SqliteDatabase;
  vectors: VectorIndex;
  memories: MemoryRepository;
  search: SearchRepository;
  ann?: AnnIndex;
  logs: string[];
  close(): Promise<void>;
}

/** Opens (creating) `<dir>/engram.db` bound to a test model, with the ANN index unless `withAnn` is false. */
export function openAnnTestStore(
  dir: string,
  options: { withAnn?: boolean; saveEveryChanges?: number; model?: string } = {},
): AnnTestStore {
  const path = join(dir, 'engram.db');
  const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
  bindEmbeddingModel(db, path, { modelId: options.model ?? 'ann-test', dimension: ANN_TEST_DIMENSION });
  const vectors = new VectorIndex(db);
  const memories = new MemoryRepository(db, vectors);
  const logs: string[] = [];
  const ann =
    options.withAnn === false
      ? undefined
      : new AnnIndex(db, {
          databasePath: path,
          saveEveryChanges: options.saveEveryChanges,
          log: (message) => logs.push(message),
        });
  return {
    path,
    db,
    vectors,
    memories,
    search: new SearchRepository(db, vectors, memories, ann),
    ann,
    logs,
    async close() {
      await ann?.close();
      db.close();
    },
  };
}

/** A deterministic unit vector for a seed (the same seed always gives the same vector). */
export function seededVector(seed: number, dimension = ANN_TEST_DIMENSION): Float32Array {
  const random = seededRandom((seed * 2654435761) >>> 0 || 1);
  const vector = Float32Array.from({ length: dimension }, () => random() - 0.5);
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

/** A memory whose vector is seededVector(seed). */
export function seededMemory(seed: number, namespace: string, extra: Partial<NewMemory> = {}): NewMemory {
  return {
    namespace,
    contentHash: `hash-${namespace}-${seed}`,
    content: `memory ${seed}`,
    memoryType: 'note',
    metadata: {},
    tags: [],
    createdAt: seed,
    updatedAt: seed,
    embedding: seededVector(seed),
    ...extra,
  };
}

/** Counts the searches the ANN index answered (candidates given), to prove a test went through it. */
export function countAnnAnswers(ann: AnnIndex): { answered: number } {
  const counter = { answered: 0 };
  const original = ann.candidates.bind(ann);
  ann.candidates = async (vector, count, filter, enough) => {
    const found = await original(vector, count, filter, enough);
    if (found) counter.answered++;
    return found;
  };
  return counter;
}
