import { StoreBusy } from '../../common/domain-errors';
import {
  MemoryChanges,
  MemoryCounts,
  MemoryRecord,
  MemoryText,
  MigratedLink,
  MigratedMemory,
  NewMemory,
  TagCount,
} from '../memory.record';
import { MemoryFilter, memoryFilterSql } from '../memory-filter.sql';
import { tallyOfFilter, totalOf } from '../memory-tallies';
import {
  InsertOutcome,
  ListOrder,
  MemoryPosition,
  MemoryStore,
  RestoreOutcome,
  SupersedeRefusal,
  TRASH_START,
  TrashPosition,
  walkStart,
} from '../memory.store';
import { BY_CREATION, BY_DELETION, keysetAfter } from '../keyset.sql';
import { PageStart, TaggedReading, taggedPageSql, tagsOf, tagsToWeigh } from '../tagged-page.sql';
import { namespaceTallies, storeTotal, talliesOf } from './postgres-memory-tallies';
import { INSERT_TAGS } from './postgres-tag-list-order';
import { PostgresModelGuard } from './postgres-model.guard';
import { hashPrefixRange } from '../hash-prefix';
import { isUniqueViolation, numbered, PostgresDatabase, Queryable, vectorLiteral } from './postgres.database';

interface MemoryRow {
  id: number;
  namespace: string;
  content_hash: string;
  content: string;
  memory_type: string;
  metadata: Record<string, unknown>;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  valid_to: number | null;
  superseded_by_hash: string | null;
  supersedes_hash: string | null;
  tags: string[];
}

/** Every memory column plus its tags, sorted, and the hashes of the memories it links to, in one row. */
const SELECT_MEMORY = `SELECT m.id, m.namespace, m.content_hash, m.content, m.memory_type, m.metadata, m.created_at,
  m.updated_at, m.deleted_at, m.valid_to,
  (SELECT l.content_hash FROM memories l WHERE l.id = m.superseded_by) AS superseded_by_hash,
  (SELECT l.content_hash FROM memories l WHERE l.id = m.supersedes) AS supersedes_hash,
  ARRAY(SELECT t.tag FROM memory_tags t WHERE t.memory_id = m.id ORDER BY t.tag COLLATE "C") AS tags
  FROM memories m`;

/**
 * The memories of a page chosen by `pageIds` (a statement answering ids, with its LIMIT and OFFSET), in
 * `sort` order. A row's tags and links are looked up for the page's rows only: selected in one statement
 * with the page, they were looked up for every row the OFFSET skipped too (PostgreSQL projects a row before
 * the Limit node counts it off), so a deep page cost a tag look-up per memory before it.
 */
function pageOfMemories(pageIds: string, sort: string): string {
  return `${SELECT_MEMORY} WHERE m.id IN (${pageIds}) ${sort}`;
}

/** The ids of a namespace's trash ($1): each text's newest tombstone, for a page to sort and limit. */
const TRASH_PAGE_IDS = `SELECT m.id FROM memories m WHERE m.namespace = $1 AND m.deleted_at IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM memories n WHERE n.namespace = $1 AND n.content_hash = m.content_hash
      AND n.deleted_at IS NOT NULL AND (n.deleted_at, n.id) > (m.deleted_at, m.id))`;
const TRASH_SORT = 'ORDER BY m.deleted_at DESC, m.id DESC';
const HASH_SORT = 'ORDER BY m.content_hash';

/** Tries at storing or restoring a text that replicas keep storing and deleting at the same moment, before a 503. */
const MAX_INSERT_ATTEMPTS = 3;

/**
 * MemoryStore on PostgreSQL. Dedup rests on the partial unique index: concurrent stores of one text from
 * any number of replicas leave one live row, and the losers get it back as `created: false`.
 */
export class PostgresMemoryStore extends MemoryStore {
  constructor(
    private readonly db: PostgresDatabase,
    private readonly model = new PostgresModelGuard(undefined),
  ) {
    super();
  }

  /**
   * A batch takes its ids in its own order but writes its texts in hash order: two replicas storing
   * batches with texts in common then wait for each other's rows in one order. Written in each batch's
   * order, each waited on a row the other had written and they deadlocked, one answering 503.
   */
  insertMany(memories: readonly NewMemory[]): Promise<InsertOutcome[]> {
    return this.db.transaction(async (client) => {
      await this.model.check(client);
      const ids = memories.length > 1 ? await reserveIds(client, memories.length) : [null];
      const outcomes: InsertOutcome[] = [];
      for (const index of inHashOrder(memories))
        outcomes[index] = await this.insertOne(client, memories[index], ids[index]);
      return outcomes;
    });
  }

  async findLiveByHash(namespace: string, contentHash: string): Promise<MemoryRecord | undefined> {
    return findLive(this.db, namespace, contentHash);
  }

  /**
   * A range of memories_live_hash (hashPrefixRange), in its order. The ORDER BY also keeps a table without
   * statistics on that index: without it the planner walked the namespace in creation order and filtered.
   */
  async findLiveByHashPrefix(namespace: string, prefix: string, limit: number): Promise<MemoryRecord[]> {
    const [from, below] = hashPrefixRange(prefix);
    const rows = await this.db.query<MemoryRow>(
      `${SELECT_MEMORY} WHERE m.namespace = $1 AND m.content_hash >= $2 AND m.content_hash < $3
       AND m.deleted_at IS NULL ORDER BY m.content_hash LIMIT $4`,
      [namespace, from, below, limit],
    );
    return rows.map(toRecord);
  }

  async findLiveByIds(namespace: string, ids: readonly number[]): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<MemoryRow>(
      `${SELECT_MEMORY} WHERE m.id = ANY($1::bigint[]) AND m.namespace = $2 AND m.deleted_at IS NULL`,
      [ids, namespace],
    );
    return rows.map(toRecord);
  }

  async findLiveTexts(namespace: string, ids: readonly number[]): Promise<MemoryText[]> {
    if (ids.length === 0) return [];
    return this.db.query<MemoryText>(
      `SELECT m.id, m.content, m.created_at AS "createdAt" FROM memories m
       WHERE m.id = ANY($1::bigint[]) AND m.namespace = $2 AND m.deleted_at IS NULL`,
      [ids, namespace],
    );
  }

  async findInNamespace(namespace: string, ids: readonly number[]): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<MemoryRow>(
      `${SELECT_MEMORY} WHERE m.id = ANY($1::bigint[]) AND m.namespace = $2`,
      [ids, namespace],
    );
    return rows.map(toRecord);
  }

  async exportPage(
    namespace: string | undefined,
    afterId: number,
    limit: number,
    withTrash = false,
  ): Promise<MemoryRecord[]> {
    const rows = await this.db.query<MemoryRow>(
      `${SELECT_MEMORY} WHERE ($4 OR m.deleted_at IS NULL) AND m.id > $1 AND ($2::text IS NULL OR m.namespace = $2)
       ORDER BY m.id LIMIT $3`,
      [afterId, namespace ?? null, limit, withTrash],
    );
    return rows.map(toRecord);
  }

  async list(
    filter: MemoryFilter,
    offset: number,
    limit: number,
    order: ListOrder = 'newest',
  ): Promise<MemoryRecord[]> {
    if (tagsOf(filter).length > 0) return this.taggedPage(filter, order, { offset }, limit);
    const where = memoryFilterSql(filter);
    const sort = `ORDER BY m.created_at ${order === 'newest' ? 'DESC' : 'ASC'}, m.id ${order === 'newest' ? 'DESC' : 'ASC'}`;
    const next = where.params.length + 1;
    const rows = await this.db.query<MemoryRow>(
      pageOfMemories(
        `SELECT m.id FROM memories m WHERE ${numbered(where.sql)} ${sort} LIMIT $${next} OFFSET $${next + 1}`,
        sort,
      ),
      [...where.params, limit, offset],
    );
    return rows.map(toRecord);
  }

  async listAfter(
    filter: MemoryFilter,
    after: MemoryPosition | undefined,
    limit: number,
    order: ListOrder = 'oldest',
  ): Promise<MemoryRecord[]> {
    const from = after ?? walkStart(order);
    if (tagsOf(filter).length > 0) {
      return this.taggedPage(filter, order, { after: { at: from.createdAt, id: from.id } }, limit);
    }
    const where = memoryFilterSql(filter);
    const position = keysetAfter(BY_CREATION, { at: from.createdAt, id: from.id }, order === 'newest');
    const direction = order === 'newest' ? 'DESC' : 'ASC';
    const sort = `ORDER BY m.created_at ${direction}, m.id ${direction}`;
    const rows = await this.db.query<MemoryRow>(
      pageOfMemories(
        `SELECT m.id FROM memories m WHERE ${numbered(`${where.sql} AND ${position.sql}`)} ${sort}
         LIMIT $${where.params.length + position.params.length + 1}`,
        sort,
      ),
      [...where.params, ...position.params, limit],
    );
    return rows.map(toRecord);
  }

  /** The filter's count from the tallies where they settle it (countFromTallies); otherwise its rows, counted. */
  async count(filter: MemoryFilter): Promise<number> {
    const tallied = await this.countFromTallies(filter);
    if (tallied !== undefined) return tallied;
    // Along the tags' ranges PostgreSQL hashed the memories all the same (100,000 memories on PGlite: 81
    // against 62 ms). All of several tags is one IN per tag, as in a search: grouping every row of every tag
    // by memory took 13 ms where a rare tag's 50 rows decide it (0.7-4 ms), and no less for common tags.
    const where = memoryFilterSql(filter, 'intersect');
    const [row] = await this.db.query<{ count: number }>(
      `SELECT count(*) AS count FROM memories m WHERE ${numbered(where.sql)}`,
      where.params,
    );
    return row.count;
  }

  /** The tally that is the filter's count (tallyOfFilter), read; undefined when none is. */
  async countFromTallies(filter: MemoryFilter): Promise<number | undefined> {
    const tally = tallyOfFilter(filter);
    if (!tally) return undefined;
    return (await talliesOf(this.db, filter.namespace, [tally]))(tally.facet, tally.key);
  }

  async filterIds(filter: MemoryFilter, candidateIds: readonly number[]): Promise<Set<number>> {
    const where = memoryFilterSql(filter);
    const rows = await this.db.query<{ id: number }>(
      `SELECT m.id FROM memories m WHERE m.id = ANY($1::bigint[]) AND ${numbered(where.sql, 2)}`,
      [candidateIds, ...where.params],
    );
    return new Set(rows.map((row) => row.id));
  }

  async update(id: number, namespace: string, changes: MemoryChanges): Promise<MemoryRecord> {
    await this.db.transaction(async (client) => {
      const assignments = ['updated_at = $1'];
      const params: unknown[] = [changes.updatedAt];
      const set = (column: string, value: unknown) => {
        params.push(value);
        assignments.push(`${column} = $${params.length}`);
      };
      if (changes.content !== undefined && changes.contentHash !== undefined) {
        set('content', changes.content);
        set('content_hash', changes.contentHash);
      }
      if (changes.memoryType !== undefined) set('memory_type', changes.memoryType);
      if (changes.metadata !== undefined) set('metadata', JSON.stringify(changes.metadata));
      params.push(id);
      await client.query(`UPDATE memories SET ${assignments.join(', ')} WHERE id = $${params.length}`, params);
      if (changes.tags !== undefined) await replaceTags(client, id, changes.tags);
      if (changes.embedding !== undefined) {
        await this.model.check(client);
        await putVector(client, id, changes.embedding);
      }
    });
    return (await this.findLiveByIds(namespace, [id]))[0];
  }

  async insertSuperseding(oldId: number, replacement: NewMemory, at: number): Promise<MemoryRecord | SupersedeRefusal> {
    return this.db.transaction(async (client) => {
      await this.model.check(client);
      const refusal = await supersedeRefusal(client, replacement.namespace, oldId);
      if (refusal) return refusal;
      const outcome = await this.insertOne(client, replacement, null);
      if (!outcome.created) return { refused: 'duplicate' as const, memory: outcome.memory };
      await link(client, oldId, outcome.memory.id, at);
      return (await findById(client, outcome.memory.id))!;
    });
  }

  async linkSupersession(
    namespace: string,
    oldId: number,
    newId: number,
    at: number,
  ): Promise<MemoryRecord | SupersedeRefusal> {
    return this.db.transaction(async (client) => {
      // Both rows locked at once, in id order: linking a to b while another replica links b to a, each
      // locking its old row first, deadlocked (one answered 503 instead of "already superseded").
      await client.query(
        'SELECT 1 FROM memories WHERE id = ANY($1::bigint[]) AND namespace = $2 ORDER BY id FOR UPDATE',
        [[oldId, newId], namespace],
      );
      const refusal =
        (await supersedeRefusal(client, namespace, oldId)) ?? (await supersedeRefusal(client, namespace, newId));
      if (refusal) return refusal;
      await link(client, oldId, newId, at);
      return (await findById(client, newId))!;
    });
  }

  async history(namespace: string, id: number): Promise<MemoryRecord[]> {
    const rows = await this.db.query<MemoryRow>(
      // One recursive step both ways along superseded_by: to the newer version and to the older ones.
      `WITH RECURSIVE chain(id) AS (
         SELECT $1::bigint
         UNION SELECT linked.id FROM chain c CROSS JOIN LATERAL (
           SELECT m.superseded_by AS id FROM memories m WHERE m.id = c.id AND m.superseded_by IS NOT NULL
           UNION ALL SELECT m.id FROM memories m WHERE m.superseded_by = c.id
         ) linked
       )
       ${SELECT_MEMORY} JOIN chain c ON m.id = c.id WHERE m.namespace = $2
       ORDER BY m.valid_to IS NULL, m.valid_to, m.id`,
      [id, namespace],
    );
    return rows.map(toRecord);
  }

  async softDelete(id: number, deletedAt: number): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query('UPDATE memories SET deleted_at = $1 WHERE id = $2', [deletedAt, id]);
      await client.query('DELETE FROM memory_embeddings WHERE memory_id = $1', [id]);
    });
  }

  async hardDelete(id: number): Promise<void> {
    await this.db.query('DELETE FROM memories WHERE id = $1', [id]);
  }

  /**
   * A text's newest deletion is its tombstone that no later deletion of the text follows (ties by id), an
   * anti-join the page's walk down memories_trash_by_time checks row by row in memories_deleted, so a page
   * stops at its last row; a deep page hashes the trash instead. Picked with DISTINCT ON, the tombstones
   * came out in hash order and the whole trash was sorted for every page.
   */
  async listDeleted(namespace: string, offset: number, limit: number): Promise<MemoryRecord[]> {
    const rows = await this.db.query<MemoryRow>(
      pageOfMemories(`${TRASH_PAGE_IDS} ${TRASH_SORT} LIMIT $2 OFFSET $3`, TRASH_SORT),
      [namespace, limit, offset],
    );
    return rows.map(toRecord);
  }

  /** listDeleted after a position: a range of memories_trash_by_time, however deep the page. */
  async listDeletedAfter(namespace: string, after: TrashPosition | undefined, limit: number): Promise<MemoryRecord[]> {
    const from = after ?? TRASH_START;
    const position = keysetAfter(BY_DELETION, { at: from.deletedAt, id: from.id }, true);
    const rows = await this.db.query<MemoryRow>(
      pageOfMemories(
        `${TRASH_PAGE_IDS} AND ${numbered(position.sql, 2)} ${TRASH_SORT} LIMIT $${position.params.length + 2}`,
        TRASH_SORT,
      ),
      [namespace, ...position.params, limit],
    );
    return rows.map(toRecord);
  }

  /** The namespace's `trash` tally (migration 22), folded or not. */
  async countDeleted(namespace: string): Promise<number> {
    return totalOf(await namespaceTallies(this.db, namespace, ['trash']), 'trash');
  }

  async findDeletedByHash(namespace: string, contentHash: string): Promise<MemoryRecord | undefined> {
    const rows = await this.db.query<MemoryRow>(
      `${SELECT_MEMORY} WHERE m.namespace = $1 AND m.content_hash = $2 AND m.deleted_at IS NOT NULL
       ORDER BY m.deleted_at DESC, m.id DESC LIMIT 1`,
      [namespace, contentHash],
    );
    return rows.map(toRecord)[0];
  }

  /** Each text's newest tombstone (TRASH_PAGE_IDS) in a range of memories_deleted (hashPrefixRange), in its order. */
  async findDeletedByHashPrefix(namespace: string, prefix: string, limit: number): Promise<MemoryRecord[]> {
    const [from, below] = hashPrefixRange(prefix);
    const rows = await this.db.query<MemoryRow>(
      pageOfMemories(
        `${TRASH_PAGE_IDS} AND m.content_hash >= $2 AND m.content_hash < $3 ${HASH_SORT} LIMIT $4`,
        HASH_SORT,
      ),
      [namespace, from, below, limit],
    );
    return rows.map(toRecord);
  }

  /**
   * The text may go live on another connection between the check and the update (a unique violation), and
   * that copy be deleted again before it is read back: the text is free once more and the restore is tried
   * again, as a store is (insertOne).
   */
  async restoreDeleted(
    id: number,
    namespace: string,
    embedding: Float32Array,
    updatedAt: number,
  ): Promise<RestoreOutcome> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.db.transaction(async (client) => {
          const rows = await client.query<MemoryRow>(
            'SELECT content_hash FROM memories WHERE id = $1 AND namespace = $2 FOR UPDATE',
            [id, namespace],
          );
          if (rows.length === 0) return 'gone';
          const clash = await findLive(client, namespace, rows[0].content_hash);
          if (clash) return { clash };
          await client.query('UPDATE memories SET deleted_at = NULL, updated_at = $1 WHERE id = $2', [updatedAt, id]);
          await this.model.check(client);
          await putVector(client, id, embedding);
          return { restored: (await findById(client, id))! };
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const tombstone = await findById(this.db, id);
        const clash = tombstone && (await findLive(this.db, namespace, tombstone.contentHash));
        if (clash) return { clash };
        if (attempt === MAX_INSERT_ATTEMPTS) {
          throw new StoreBusy('the text was stored and deleted elsewhere meanwhile');
        }
      }
    }
  }

  async purgeDeleted(namespace: string, contentHash: string): Promise<number> {
    const rows = await this.db.query<{ id: number }>(
      'DELETE FROM memories WHERE namespace = $1 AND content_hash = $2 AND deleted_at IS NOT NULL RETURNING id',
      [namespace, contentHash],
    );
    return rows.length;
  }

  async tagCounts(namespace: string): Promise<TagCount[]> {
    const tags = await namespaceTallies(this.db, namespace, ['tag'], 'COLLATE "C"');
    return tags.map(({ key, n }) => ({ tag: key, count: n }));
  }

  async counts(namespace: string): Promise<MemoryCounts> {
    const tallies = await namespaceTallies(this.db, namespace, ['live', 'deleted', 'type']);
    // The ends of memories_live_created_id: two index probes.
    const [span] = await this.db.query<{ oldest: number | null; newest: number | null }>(
      `SELECT (SELECT min(created_at) FROM memories WHERE namespace = $1 AND deleted_at IS NULL) AS oldest,
              (SELECT max(created_at) FROM memories WHERE namespace = $1 AND deleted_at IS NULL) AS newest`,
      [namespace],
    );
    return {
      live: totalOf(tallies, 'live'),
      deleted: totalOf(tallies, 'deleted'),
      types: tallies.filter((row) => row.facet === 'type').map(({ key, n }) => ({ memory_type: key, count: n })),
      oldestMs: span.oldest,
      newestMs: span.newest,
    };
  }

  async countAllLive(): Promise<number> {
    return storeTotal(this.db, 'live');
  }

  /** Three statements for the lot (rows, tags, vectors); the id sequence then continues past the kept ids. */
  importMemories(memories: readonly MigratedMemory[]): Promise<void> {
    if (memories.length === 0) return Promise.resolve();
    return this.db.transaction(async (client) => {
      await this.model.check(client);
      await client.query(
        `INSERT INTO memories (id, namespace, content_hash, content, memory_type, metadata, created_at, updated_at,
           deleted_at)
         OVERRIDING SYSTEM VALUE
         SELECT u.id, u.namespace, u.content_hash, u.content, u.memory_type, u.metadata::json, u.created_at,
           u.updated_at, u.deleted_at
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
           $8::bigint[], $9::bigint[])
           AS u (id, namespace, content_hash, content, memory_type, metadata, created_at, updated_at, deleted_at)`,
        [
          memories.map((memory) => memory.id),
          memories.map((memory) => memory.namespace),
          memories.map((memory) => memory.contentHash),
          memories.map((memory) => memory.content),
          memories.map((memory) => memory.memoryType),
          memories.map((memory) => JSON.stringify(memory.metadata)),
          memories.map((memory) => memory.createdAt),
          memories.map((memory) => memory.updatedAt),
          memories.map((memory) => memory.deletedAt),
        ],
      );
      const tagged = memories.flatMap((memory) => memory.tags.map((tag) => [memory.id, tag] as const));
      await client.query(INSERT_TAGS, [tagged.map(([id]) => id), tagged.map(([, tag]) => tag)]);
      const embedded = memories.flatMap((memory) =>
        memory.embedding ? [[memory.id, vectorLiteral(memory.embedding)] as const] : [],
      );
      await client.query(
        `INSERT INTO memory_embeddings (memory_id, embedding)
         SELECT u.id, u.e::vector FROM unnest($1::bigint[], $2::text[]) AS u (id, e)`,
        [embedded.map(([id]) => id), embedded.map(([, vector]) => vector)],
      );
      await client.query("SELECT setval(pg_get_serial_sequence('memories', 'id'), (SELECT max(id) FROM memories))");
    });
  }

  importLinks(links: readonly MigratedLink[]): Promise<void> {
    return this.db.transaction(async (client) => {
      await client.query(
        `UPDATE memories m SET superseded_by = l.new_id, supersedes = l.old_id, valid_to = l.valid_to
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS l (id, new_id, old_id, valid_to)
         WHERE m.id = l.id`,
        [
          links.map((link) => link.id),
          links.map((link) => link.supersededBy),
          links.map((link) => link.supersedes),
          links.map((link) => link.validTo),
        ],
      );
    });
  }

  /** A page of a list filtered by tags, read along a tag's range of memory_tags_live_created (tagged-page.sql.ts). */
  private async taggedPage(
    filter: MemoryFilter,
    order: ListOrder,
    start: PageStart,
    limit: number,
  ): Promise<MemoryRecord[]> {
    const page = taggedPageSql(filter, order, start, limit, 'm.id', await this.taggedReading(filter));
    const direction = order === 'newest' ? 'DESC' : 'ASC';
    const rows = await this.db.query<MemoryRow>(
      pageOfMemories(numbered(page.sql), `ORDER BY m.created_at ${direction}, m.id ${direction}`),
      page.params,
    );
    return rows.map(toRecord);
  }

  /** The tag tallies the filter's plan weighs (all of several tags are walked from the rarest). */
  private async taggedReading(filter: MemoryFilter): Promise<TaggedReading> {
    const weighed = tagsToWeigh(filter);
    if (weighed.length === 0) return { join: 'JOIN', memories: 'memories m', probe: 'probe' };
    const tally = await talliesOf(
      this.db,
      filter.namespace,
      weighed.map((tag) => ({ facet: 'tag' as const, key: tag })),
    );
    return { join: 'JOIN', memories: 'memories m', probe: 'probe', tagCount: (tag) => tally('tag', tag) };
  }

  /**
   * `id`: one reserved for it (reserveIds), or null for the next of the sequence. The live text it clashed
   * with may be deleted by another replica before it is read back: the insert is then tried again, as the
   * text is free once more.
   */
  private async insertOne(client: Queryable, memory: NewMemory, id: number | null): Promise<InsertOutcome> {
    for (let attempt = 1; ; attempt += 1) {
      const inserted = await this.tryInsert(client, memory, id);
      if (inserted) return inserted;
      const live = await findLive(client, memory.namespace, memory.contentHash);
      if (live) return { created: false, memory: live };
      if (attempt === MAX_INSERT_ATTEMPTS) throw new StoreBusy('the text was stored and deleted elsewhere meanwhile');
    }
  }

  /** The memory inserted, or undefined when its text is live in the namespace already. */
  private async tryInsert(client: Queryable, memory: NewMemory, id: number | null): Promise<InsertOutcome | undefined> {
    const rows = await client.query<{ id: number }>(
      `INSERT INTO memories (id, namespace, content_hash, content, memory_type, metadata, created_at, updated_at)
       OVERRIDING SYSTEM VALUE
       VALUES (coalesce($8::bigint, nextval(pg_get_serial_sequence('memories', 'id'))), $1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (namespace, content_hash) WHERE deleted_at IS NULL DO NOTHING RETURNING id`,
      [
        memory.namespace,
        memory.contentHash,
        memory.content,
        memory.memoryType,
        JSON.stringify(memory.metadata),
        memory.createdAt,
        memory.updatedAt,
        id,
      ],
    );
    if (rows.length === 0) return undefined;
    const stored = rows[0].id;
    await replaceTags(client, stored, memory.tags);
    await putVector(client, stored, memory.embedding);
    const { embedding: _embedding, ...fields } = memory;
    return {
      created: true,
      memory: { ...fields, id: stored, deletedAt: null, supersededBy: null, supersedes: null, validTo: null },
    };
  }
}

/** `count` ids from the memories' sequence, ascending: a batch's memories keep its order in their ids. */
async function reserveIds(client: Queryable, count: number): Promise<number[]> {
  const rows = await client.query<{ id: number }>(
    "SELECT nextval(pg_get_serial_sequence('memories', 'id')) AS id FROM generate_series(1, $1) ORDER BY id",
    [count],
  );
  return rows.map((row) => row.id);
}

/** The batch's positions ordered by namespace and hash (first position first among equal texts). */
function inHashOrder(memories: readonly NewMemory[]): number[] {
  const key = (memory: NewMemory) => `${memory.namespace}\u0000${memory.contentHash}`;
  return memories
    .map((memory, index) => ({ key: key(memory), index }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.index - b.index))
    .map((entry) => entry.index);
}

async function findLive(db: Queryable, namespace: string, contentHash: string): Promise<MemoryRecord | undefined> {
  const rows = await db.query<MemoryRow>(
    `${SELECT_MEMORY} WHERE m.namespace = $1 AND m.content_hash = $2 AND m.deleted_at IS NULL`,
    [namespace, contentHash],
  );
  return rows.map(toRecord)[0];
}

async function findById(db: Queryable, id: number): Promise<MemoryRecord | undefined> {
  return (await db.query<MemoryRow>(`${SELECT_MEMORY} WHERE m.id = $1`, [id])).map(toRecord)[0];
}

/** Why the memory cannot be superseded now (gone, or superseded already); locks its row until commit. */
async function supersedeRefusal(
  client: Queryable,
  namespace: string,
  id: number,
): Promise<SupersedeRefusal | undefined> {
  const locked = await client.query(
    'SELECT 1 FROM memories WHERE id = $1 AND namespace = $2 AND deleted_at IS NULL FOR UPDATE',
    [id, namespace],
  );
  if (locked.length === 0) return { refused: 'gone' };
  const memory = (await findById(client, id))!;
  if (memory.supersededBy !== null) return { refused: 'already_superseded', memory };
  return undefined;
}

async function link(client: Queryable, oldId: number, newId: number, at: number): Promise<void> {
  await client.query('UPDATE memories SET superseded_by = $1, valid_to = $2 WHERE id = $3', [newId, at, oldId]);
  await client.query('UPDATE memories SET supersedes = $1 WHERE id = $2', [oldId, newId]);
}

async function replaceTags(client: Queryable, id: number, tags: readonly string[]): Promise<void> {
  await client.query('DELETE FROM memory_tags WHERE memory_id = $1', [id]);
  if (tags.length === 0) return;
  await client.query(INSERT_TAGS, [tags.map(() => id), [...tags]]);
}

async function putVector(client: Queryable, id: number, vector: Float32Array): Promise<void> {
  await client.query(
    `INSERT INTO memory_embeddings (memory_id, embedding) VALUES ($1, $2)
     ON CONFLICT (memory_id) DO UPDATE SET embedding = excluded.embedding`,
    [id, vectorLiteral(vector)],
  );
}

function toRecord(row: MemoryRow): MemoryRecord {
  return {
    id: row.id,
    namespace: row.namespace,
    contentHash: row.content_hash,
    content: row.content,
    memoryType: row.memory_type,
    metadata: row.metadata,
    tags: row.tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    supersededBy: row.superseded_by_hash,
    supersedes: row.supersedes_hash,
    validTo: row.valid_to,
  };
}
