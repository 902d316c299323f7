import { EmbeddingModel } from '../storage/embedding-model.binding';
import { NewMemory } from '../storage/memory.record';
import { PostgresDatabase, Queryable } from '../storage/postgres/postgres.database';
import { PostgresMemoryStore } from '../storage/postgres/postgres-memory.store';
import { BackupCorrupted, BackupIncompatible } from './backup.errors';
import { ExportedMemory, ExportHeader, readExportFile } from './export-file.reader';

/** Memories inserted per call of the store: bounded memory whatever the backup's size. */
const BATCH = 200;

/**
 * Replaces every memory with an export's, inside the caller's transaction (`client`, with `pinned` the
 * database seen through it): refuses vectors of another model before deleting anything, inserts through
 * the PostgreSQL MemoryStore (tags, vectors), then restores the supersession links, which the export
 * records by content hash. Any problem throws, and the caller's transaction rolls everything back.
 */
export async function restoreExport(
  client: Queryable,
  pinned: PostgresDatabase,
  path: string,
  liveModel: EmbeddingModel | undefined,
): Promise<{ memories: number }> {
  const store = new PostgresMemoryStore(pinned);
  const ids = new Map<string, number>();
  const exported: ExportedMemory[] = [];
  let batch: ExportedMemory[] = [];
  const flush = async () => {
    const outcomes = await store.insertMany(batch.map(toNewMemory));
    outcomes.forEach((outcome, i) => {
      if (!outcome.created) {
        throw new BackupCorrupted(
          `The backup holds the memory ${batch[i].content_hash} twice in namespace "${batch[i].namespace}"; nothing was restored`,
        );
      }
      ids.set(keyOf(batch[i].namespace, batch[i].content_hash), outcome.memory.id);
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
      batch.push(memory);
      if (memory.superseded_by !== null || memory.supersedes !== null) exported.push(memory);
      if (batch.length >= BATCH) await flush();
    },
  });
  await flush();
  await restoreLinks(client, exported, ids);
  const [row] = await client.query<{ count: number }>('SELECT count(*) AS count FROM memories');
  if (row.count !== memories) throw new Error(`Restore stored ${row.count} memories of ${memories}; rolled back`);
  return { memories };
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

/** Supersession links point at ids; the export names them by content hash within the namespace. */
async function restoreLinks(client: Queryable, linked: ExportedMemory[], ids: Map<string, number>): Promise<void> {
  const idOf = (memory: ExportedMemory, hash: string | null) =>
    hash === null ? null : (ids.get(keyOf(memory.namespace, hash)) ?? null);
  const superseded = linked.filter((memory) => memory.superseded_by !== null || memory.valid_to !== null);
  await client.query(
    `UPDATE memories m SET superseded_by = l.new_id, valid_to = l.valid_to
     FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS l (id, new_id, valid_to) WHERE m.id = l.id`,
    [
      superseded.map((memory) => idOf(memory, memory.content_hash)),
      superseded.map((memory) => idOf(memory, memory.superseded_by)),
      superseded.map((memory) => memory.valid_to),
    ],
  );
  const successors = linked.filter((memory) => memory.supersedes !== null);
  await client.query(
    `UPDATE memories m SET supersedes = l.old_id
     FROM unnest($1::bigint[], $2::bigint[]) AS l (id, old_id) WHERE m.id = l.id`,
    [successors.map((memory) => idOf(memory, memory.content_hash)), successors.map((m) => idOf(m, m.supersedes))],
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
    embedding: Float32Array.from(memory.embedding),
  };
}

function keyOf(namespace: string, contentHash: string): string {
  return `${namespace}\u0000${contentHash}`;
}
