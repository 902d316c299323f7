import { canonicalModelId } from '../storage/embedding-model-id';
import { EmbeddingModel } from '../storage/embedding-model.binding';
import { INSERT_TAGS } from '../storage/postgres/postgres-tag-list-order';
import { Queryable, vectorLiteral } from '../storage/postgres/postgres.database';
import { BackupIncompatible } from './backup.errors';
import { ExportedMemory, ExportHeader, readExportFile } from './export-file.reader';
import { counted } from '../common/counted';

/** Memories inserted per round of statements: bounded memory whatever the backup's size. */
const BATCH = 500;

/**
 * Replaces every memory with an export's, inside the caller's transaction: refuses vectors of another
 * model before deleting anything, inserts the memories (live ones and the trash's tombstones, in the
 * file's order) with their tags and vectors a batch at a time, then restores the supersession links,
 * which the export records by content hash. Any problem throws (a memory twice in a namespace as a
 * unique violation), and the caller's transaction rolls everything back.
 */
export async function restoreExport(
  client: Queryable,
  path: string,
  liveModel: EmbeddingModel | undefined,
): Promise<{ memories: number; liveMemories: number }> {
  const ids = new RestoredIds();
  const linked: ExportedMemory[] = [];
  let batch: ExportedMemory[] = [];
  let liveMemories = 0;
  const flush = async () => {
    const assigned = await insertBatch(client, batch);
    batch.forEach((memory, i) => ids.add(memory, assigned[i]));
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
      if (memory.deleted_at === undefined) liveMemories += 1;
      batch.push(memory);
      if (batch.length >= BATCH) await flush();
    },
  });
  await flush();
  await restoreLinks(client, linked, ids);
  const [row] = await client.query<{ count: number }>('SELECT count(*) AS count FROM memories');
  if (row.count !== memories)
    throw new Error(`Restore stored ${row.count} of ${counted(memories, 'memory', 'memories')}; rolled back`);
  return { memories, liveMemories };
}

function checkModel(header: ExportHeader, live: EmbeddingModel | undefined): void {
  const stored = header.embedding_model;
  if (live === undefined || (canonicalModelId(stored?.id) === live.modelId && stored?.dimension === live.dimension))
    return;
  throw new BackupIncompatible(
    `The backup holds vectors of embedding model "${stored?.id}" (${stored?.dimension} dimensions) but this database ` +
      `uses "${live.modelId}" (${live.dimension}); configure that model to restore it, then run \`engram reindex\` ` +
      'with the model you want',
  );
}

/**
 * Inserts a batch with ids drawn from the table's own sequence first, so each line's id is known
 * (RETURNING promises no order) and ids follow the file's order; three statements per batch.
 */
async function insertBatch(client: Queryable, batch: readonly ExportedMemory[]): Promise<number[]> {
  if (batch.length === 0) return [];
  const ids = (
    await client.query<{ id: number }>(
      "SELECT nextval(pg_get_serial_sequence('memories', 'id')) AS id FROM generate_series(1, $1)",
      [batch.length],
    )
  )
    .map((row) => row.id)
    .sort((a, b) => a - b);
  await client.query(
    `INSERT INTO memories (id, namespace, content_hash, content, memory_type, metadata, created_at, updated_at, deleted_at)
     OVERRIDING SYSTEM VALUE
     SELECT u.id, u.namespace, u.content_hash, u.content, u.memory_type, u.metadata::json, u.created_at, u.updated_at,
       u.deleted_at
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
       $9::bigint[]) AS u (id, namespace, content_hash, content, memory_type, metadata, created_at, updated_at, deleted_at)`,
    [
      ids,
      batch.map((memory) => memory.namespace),
      batch.map((memory) => memory.content_hash),
      batch.map((memory) => memory.content),
      batch.map((memory) => memory.memory_type),
      batch.map((memory) => JSON.stringify(memory.metadata)),
      batch.map((memory) => memory.created_at),
      batch.map((memory) => memory.updated_at),
      batch.map((memory) => memory.deleted_at ?? null),
    ],
  );
  const tagged = batch.flatMap((memory, i) => memory.tags.map((tag) => [ids[i], tag] as const));
  await client.query(INSERT_TAGS, [tagged.map(([id]) => id), tagged.map(([, tag]) => tag)]);
  const embedded = batch.flatMap((memory, i) =>
    memory.embedding ? [[ids[i], vectorLiteral(Float32Array.from(memory.embedding))] as const] : [],
  );
  await client.query(
    'INSERT INTO memory_embeddings (memory_id, embedding) SELECT u.id, u.e::vector FROM unnest($1::bigint[], $2::text[]) AS u (id, e)',
    [embedded.map(([id]) => id), embedded.map(([, vector]) => vector)],
  );
  return ids;
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

function keyOf(namespace: string, contentHash: string): string {
  return `${namespace}\u0000${contentHash}`;
}
