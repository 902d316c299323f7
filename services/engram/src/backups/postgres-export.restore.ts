import { EmbeddingModel } from '../storage/embedding-model.binding';
import { NewMemory } from '../storage/memory.record';
import { PostgresDatabase, Queryable } from '../storage/postgres/postgres.database';
import { PostgresMemoryStore } from '../storage/postgres/postgres-memory.store';
import { BackupCorrupted, BackupIncompatible } from './backup.errors';
import { ExportedMemory, ExportHeader, readExportFile } from './export-file.reader';

/** Live memories inserted per call of the store: bounded memory whatever the backup's size. */
const BATCH = 200;

/**
 * Replaces every memory with an export's, inside the caller's transaction (`client`, with `pinned` the
 * database seen through it): refuses vectors of another model before deleting anything, inserts live
 * memories through the PostgreSQL MemoryStore (tags, vectors) and the trash's tombstones directly, in
 * the file's order, then restores the supersession links, which the export records by content hash. Any
 * problem throws, and the caller's transaction rolls everything back.
 */
export async function restoreExport(
  client: Queryable,
  pinned: PostgresDatabase,
  path: string,
  liveModel: EmbeddingModel | undefined,
): Promise<{ memories: number; liveMemories: number }> {
  const store = new PostgresMemoryStore(pinned);
  const ids = new RestoredIds();
  const linked: ExportedMemory[] = [];
  let batch: ExportedMemory[] = [];
  let liveMemories = 0;
  const flush = async () => {
    const outcomes = await store.insertMany(batch.map(toNewMemory));
    outcomes.forEach((outcome, i) => {
      if (!outcome.created) {
        throw new BackupCorrupted(
          `The backup holds the memory ${batch[i].content_hash} twice in namespace "${batch[i].namespace}"; nothing was restored`,
        );
      }
      ids.add(batch[i], outcome.memory.id);
    });
    batch = [];
  };
  const { memories } = await readExportFile(path, {
    header: async (header) => {
      checkModel(header, liveModel);
      // Cascades to tags, vectors, usage counts, conflicts and staged reindex vectors.
      await client.query('DELETE FROM memories');
    },
    memory: async (memory) => {
      if (memory.superseded_by !== null || memory.supersedes !== null || memory.valid_to !== null) linked.push(memory);
      if (memory.deleted_at === undefined) {
        liveMemories += 1;
        batch.push(memory);
        if (batch.length >= BATCH) await flush();
        return;
      }
      await flush(); // ids keep the file's order
      ids.add(memory, await insertTombstone(client, memory));
    },
  });
  await flush();
  await restoreLinks(client, linked, ids);
  const [row] = await client.query<{ count: number }>('SELECT count(*) AS count FROM memories');
  if (row.count !== memories) throw new Error(`Restore stored ${row.count} memories of ${memories}; rolled back`);
  return { memories, liveMemories };
}

function checkModel(header: ExportHeader, live: EmbeddingModel | undefined): void {
  const stored = header.embedding_model;
  if (live === undefined || (stored?.id === live.modelId && stored.dimension === live.dimension)) return;
  throw new BackupIncompatible(
    `The backup holds vectors of embedding model "${stored?.id}" (${stored?.dimension} dimensions) but this database ` +
      `uses "${live.modelId}" (${live.dimension}); configure that model to restore it, then run \`engram reindex\` ` +
      'with the model you want',
  );
}

/**
 * New ids by namespace and content hash. A hash names one live memory per namespace, but deleted copies
 * of the same text may sit in the trash beside it: a link resolves to the live one first.
 */
class RestoredIds {
  private readonly live = new Map<string, number>();
  private readonly trash = new Map<string, number>();
  /** Each line's own id: weak, so only the lines kept for their links stay in memory. */
  private readonly own = new WeakMap<ExportedMemory, number>();

  add(memory: ExportedMemory, id: number): void {
    (memory.deleted_at === undefined ? this.live : this.trash).set(keyOf(memory.namespace, memory.content_hash), id);
    this.own.set(memory, id);
  }

  of(memory: ExportedMemory, hash: string | null): number | null {
    if (hash === null) return null;
    const key = keyOf(memory.namespace, hash);
    return this.live.get(key) ?? this.trash.get(key) ?? null;
  }

  self(memory: ExportedMemory): number {
    return this.own.get(memory)!;
  }
}

async function insertTombstone(client: Queryable, memory: ExportedMemory): Promise<number> {
  const [{ id }] = await client.query<{ id: number }>(
    `INSERT INTO memories (namespace, content_hash, content, memory_type, metadata, created_at, updated_at, deleted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [
      memory.namespace,
      memory.content_hash,
      memory.content,
      memory.memory_type,
      JSON.stringify(memory.metadata),
      memory.created_at,
      memory.updated_at,
      memory.deleted_at,
    ],
  );
  await client.query('INSERT INTO memory_tags (memory_id, tag) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [
    id,
    memory.tags,
  ]);
  return id;
}

/** Supersession links point at ids; the export names them by content hash within the namespace. */
async function restoreLinks(client: Queryable, linked: ExportedMemory[], ids: RestoredIds): Promise<void> {
  await client.query(
    `UPDATE memories m SET superseded_by = l.new_id, supersedes = l.old_id, valid_to = l.valid_to
     FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS l (id, new_id, old_id, valid_to)
     WHERE m.id = l.id`,
    [
      linked.map((memory) => ids.self(memory)),
      linked.map((memory) => ids.of(memory, memory.superseded_by)),
      linked.map((memory) => ids.of(memory, memory.supersedes)),
      linked.map((memory) => memory.valid_to),
    ],
  );
}

function toNewMemory(memory: ExportedMemory): NewMemory {
  return {
    namespace: memory.namespace,
    contentHash: memory.content_hash,
    content: memory.content,
    memoryType: memory.memory_type,
    metadata: memory.metadata,
    tags: memory.tags,
    createdAt: memory.created_at,
    updatedAt: memory.updated_at,
    embedding: Float32Array.from(memory.embedding!),
  };
}

function keyOf(namespace: string, contentHash: string): string {
  return `${namespace}\u0000${contentHash}`;
}
