import {
  MemoryChanges,
  MemoryCounts,
  MemoryRecord,
  MemoryText,
  MigratedLink,
  MigratedMemory,
  NewMemory,
  TagCount,
} from './memory.record';
import { admittedIdsSql } from './admitted-nearest';
import { MemoryFilter, memoryFilterSql, PROBED_MEMORIES } from './memory-filter.sql';
import { tallyOfFilter, TallyRow, totalOf } from './memory-tallies';
import { BY_CREATION, BY_DELETION, keysetAfter } from './keyset.sql';
import { PageStart, taggedCountSql, TaggedReading, taggedPageSql, tagsOf, tagsToWeigh } from './tagged-page.sql';
import {
  InsertOutcome,
  ListOrder,
  MemoryPosition,
  RestoreOutcome,
  SupersedeRefusal,
  TRASH_START,
  TrashPosition,
  walkStart,
} from './memory.store';
import { hashPrefixRange } from './hash-prefix';
import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

interface MemoryRow {
  id: number;
  namespace: string;
  content_hash: string;
  content: string;
  memory_type: string;
  metadata: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  superseded_by: number | null;
  supersedes: number | null;
  valid_to: number | null;
}

/**
 * A page of a namespace's trash (parameters: namespace, limit, offset). Each tombstone walked looks its
 * hash up in the trash's hash index, named because SQLite otherwise walked the namespace's whole trash by
 * time for each one: a page cost the square of its depth, 40 s for the last page of 9,800 tombstones.
 */
export const TRASH_PAGE = `SELECT m.* FROM memories m WHERE m.namespace = ? AND m.deleted_at IS NOT NULL AND m.id = (
    SELECT n.id FROM memories n INDEXED BY memories_trash_by_hash WHERE n.namespace = m.namespace
      AND n.content_hash = m.content_hash AND n.deleted_at IS NOT NULL ORDER BY n.deleted_at DESC, n.id DESC LIMIT 1)
  ORDER BY m.deleted_at DESC, m.id DESC LIMIT ? OFFSET ?`;

/**
 * The texts in a namespace's trash whose hashes lie in a range (parameters: namespace, from, below, limit), each
 * as its newest tombstone: a range of memories_trash_by_hash (hashPrefixRange) in its order, a row kept when no
 * later deletion of its text follows it, as listDeletedAfter keeps one (TRASH_PAGE's equality with the newest
 * one's id made SQLite sort the whole range before its LIMIT).
 */
export const TRASH_BY_HASH_PREFIX = `SELECT m.* FROM memories m INDEXED BY memories_trash_by_hash WHERE m.namespace = ?
  AND m.content_hash >= ? AND m.content_hash < ? AND m.deleted_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM memories n INDEXED BY memories_trash_by_hash WHERE n.namespace = m.namespace
    AND n.content_hash = m.content_hash AND n.deleted_at IS NOT NULL AND (n.deleted_at, n.id) > (m.deleted_at, m.id))
  ORDER BY m.content_hash LIMIT ?`;

/** All reads and writes of memories, their tags and their vectors. Every write is one transaction. */
export class MemoryRepository {
  private readonly statements: PreparedStatements;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly vectors: VectorIndex,
  ) {
    this.statements = new PreparedStatements(db);
  }

  /** Stores each memory unless a live one with the same hash exists; one transaction for the lot. */
  insertMany(memories: readonly NewMemory[]): InsertOutcome[] {
    return this.inTransaction(() => memories.map((memory) => this.insertOne(memory)));
  }

  findLiveByHash(namespace: string, contentHash: string): MemoryRecord | undefined {
    const row = this.statements
      .get('SELECT * FROM memories WHERE namespace = ? AND content_hash = ? AND deleted_at IS NULL')
      .get(namespace, contentHash) as MemoryRow | undefined;
    return row ? this.hydrate([row])[0] : undefined;
  }

  /** Live memories whose hash starts with the prefix: a range of memories_live_hash (hashPrefixRange). */
  findLiveByHashPrefix(namespace: string, prefix: string, limit: number): MemoryRecord[] {
    const [from, below] = hashPrefixRange(prefix);
    const rows = this.statements
      .get(
        `SELECT * FROM memories INDEXED BY memories_live_hash WHERE namespace = ? AND content_hash >= ?
         AND content_hash < ? AND deleted_at IS NULL ORDER BY content_hash LIMIT ?`,
      )
      .all(namespace, from, below, limit) as MemoryRow[];
    return this.hydrate(rows);
  }

  /**
   * The live memories of the namespace among the given ids. Ids come from indexes (search candidates);
   * checking the namespace here means no index fault can hand one namespace another's memories.
   */
  findLiveByIds(namespace: string, ids: readonly number[]): MemoryRecord[] {
    if (ids.length === 0) return [];
    const rows = this.statements
      // The ids drive (one rowid look-up each), as in filterIds: with `id IN (…) AND namespace = ?` SQLite
      // walked the namespace's index instead, ~0.4 s per search at a million memories.
      .get(
        `SELECT m.* FROM (SELECT DISTINCT value FROM json_each(?)) c CROSS JOIN memories m ON m.id = c.value
         WHERE m.namespace = ? AND m.deleted_at IS NULL`,
      )
      .all(JSON.stringify(ids), namespace) as MemoryRow[];
    return this.hydrate(rows);
  }

  /** findLiveByIds without tags, metadata or links (a quarter of its cost for search's ~250 candidates). */
  findLiveTexts(namespace: string, ids: readonly number[]): MemoryText[] {
    if (ids.length === 0) return [];
    return this.statements
      .get(
        `SELECT m.id AS id, m.content AS content, m.created_at AS createdAt
         FROM (SELECT DISTINCT value FROM json_each(?)) c CROSS JOIN memories m ON m.id = c.value
         WHERE m.namespace = ? AND m.deleted_at IS NULL`,
      )
      .all(JSON.stringify(ids), namespace) as MemoryText[];
  }

  /** The memories of the namespace among the given ids, deleted ones (tombstones) included. */
  findInNamespace(namespace: string, ids: readonly number[]): MemoryRecord[] {
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT m.* FROM (SELECT DISTINCT value FROM json_each(?)) c CROSS JOIN memories m ON m.id = c.value
         WHERE m.namespace = ?`,
      )
      .all(JSON.stringify(ids), namespace) as MemoryRow[];
    return this.hydrate(rows);
  }

  exportPage(namespace: string | undefined, afterId: number, limit: number, withTrash = false): MemoryRecord[] {
    const rows = this.statements
      .get(
        `SELECT * FROM memories WHERE (? OR deleted_at IS NULL) AND id > ? AND (? IS NULL OR namespace = ?)
         ORDER BY id LIMIT ?`,
      )
      .all(withTrash ? 1 : 0, afterId, namespace ?? null, namespace ?? null, limit) as MemoryRow[];
    return this.hydrate(rows);
  }

  list(filter: MemoryFilter, offset: number, limit: number, order: ListOrder = 'newest'): MemoryRecord[] {
    if (tagsOf(filter).length > 0) return this.taggedPage(filter, order, { offset }, limit);
    const where = memoryFilterSql(filter);
    const direction = order === 'newest' ? 'DESC' : 'ASC';
    const rows = this.statements
      .get(
        `SELECT m.* FROM memories m WHERE ${where.sql} ORDER BY m.created_at ${direction}, m.id ${direction} LIMIT ? OFFSET ?`,
      )
      .all(...where.params, limit, offset) as MemoryRow[];
    return this.hydrate(rows);
  }

  listAfter(
    filter: MemoryFilter,
    after: MemoryPosition | undefined,
    limit: number,
    order: ListOrder = 'oldest',
  ): MemoryRecord[] {
    const from = after ?? walkStart(order);
    if (tagsOf(filter).length > 0)
      return this.taggedPage(filter, order, { after: { at: from.createdAt, id: from.id } }, limit);
    const where = memoryFilterSql(filter);
    const position = keysetAfter(BY_CREATION, { at: from.createdAt, id: from.id }, order === 'newest');
    const direction = order === 'newest' ? 'DESC' : 'ASC';
    const rows = this.statements
      .get(
        `SELECT m.* FROM memories m WHERE ${where.sql} AND ${position.sql}
         ORDER BY m.created_at ${direction}, m.id ${direction} LIMIT ?`,
      )
      .all(...where.params, ...position.params, limit) as MemoryRow[];
    return this.hydrate(rows);
  }

  /** The filter's count from the tallies where they settle it (countFromTallies); otherwise its rows, counted. */
  count(filter: MemoryFilter): number {
    const tallied = this.countFromTallies(filter);
    if (tallied !== undefined) return tallied;
    if (tagsOf(filter).length > 0) {
      const counted = taggedCountSql(filter, this.taggedReading(filter));
      return this.statements
        .get(counted.sql)
        .pluck()
        .get(...counted.params) as number;
    }
    const where = memoryFilterSql(filter);
    return this.statements
      .get(`SELECT count(*) FROM memories m WHERE ${where.sql}`)
      .pluck()
      .get(...where.params) as number;
  }

  /** The tally that is the filter's count (tallyOfFilter), read; undefined when none is. */
  countFromTallies(filter: MemoryFilter): number | undefined {
    const tally = tallyOfFilter(filter);
    if (!tally) return undefined;
    return this.statements
      .get('SELECT coalesce(sum(n), 0) FROM memory_tallies WHERE namespace = ? AND facet = ? AND key = ?')
      .pluck()
      .get(filter.namespace, tally.facet, tally.key) as number;
  }

  /** Ids of live memories matching the filter among the given candidates, in no particular order. */
  filterIds(filter: MemoryFilter, candidateIds: readonly number[]): Set<number> {
    const admitted = admittedIdsSql(filter);
    const ids = this.statements
      .get(admitted.sql)
      .pluck()
      .all(JSON.stringify(candidateIds), ...admitted.params) as number[];
    return new Set(ids);
  }

  update(id: number, namespace: string, changes: MemoryChanges): MemoryRecord {
    this.inTransaction(() => {
      const assignments: string[] = ['updated_at = ?'];
      const params: unknown[] = [changes.updatedAt];
      if (changes.content !== undefined && changes.contentHash !== undefined) {
        assignments.push('content = ?', 'content_hash = ?');
        params.push(changes.content, changes.contentHash);
      }
      if (changes.memoryType !== undefined) {
        assignments.push('memory_type = ?');
        params.push(changes.memoryType);
      }
      if (changes.metadata !== undefined) {
        assignments.push('metadata = ?');
        params.push(JSON.stringify(changes.metadata));
      }
      this.statements.get(`UPDATE memories SET ${assignments.join(', ')} WHERE id = ?`).run(...params, id);
      if (changes.tags !== undefined) this.replaceTags(id, changes.tags);
      if (changes.embedding !== undefined) this.vectors.put(id, namespace, changes.embedding);
    });
    return this.findLiveByIds(namespace, [id])[0];
  }

  /**
   * Stores `replacement` and records that it supersedes the memory `oldId`, in one transaction: the old
   * row keeps its content and gains `superseded_by` and `valid_to`. Refused when the replacement's text is
   * already live, or the old memory was superseded or deleted meanwhile.
   */
  insertSuperseding(oldId: number, replacement: NewMemory, at: number): MemoryRecord | SupersedeRefusal {
    return this.inTransaction(() => {
      const refusal = this.supersedeRefusal(replacement.namespace, oldId);
      if (refusal) return refusal;
      const outcome = this.insertOne(replacement);
      if (!outcome.created) return { refused: 'duplicate' as const, memory: outcome.memory };
      this.link(oldId, outcome.memory.id, at);
      return this.findLiveByIds(replacement.namespace, [outcome.memory.id])[0];
    });
  }

  /** Records that the existing memory `newId` supersedes `oldId` (both live, in the namespace). */
  linkSupersession(namespace: string, oldId: number, newId: number, at: number): MemoryRecord | SupersedeRefusal {
    return this.inTransaction(() => {
      const refusal = this.supersedeRefusal(namespace, oldId) ?? this.supersedeRefusal(namespace, newId);
      if (refusal) return refusal;
      this.link(oldId, newId, at);
      return this.findLiveByIds(namespace, [newId])[0];
    });
  }

  /**
   * Every version connected to the memory by supersession (live or deleted), in the order they held:
   * superseded ones by when they stopped holding, then the current one.
   */
  history(namespace: string, id: number): MemoryRecord[] {
    const rows = this.statements
      .get(
        `WITH RECURSIVE chain(id) AS (
           SELECT ?
           UNION SELECT m.superseded_by FROM memories m JOIN chain c ON m.id = c.id WHERE m.superseded_by IS NOT NULL
           UNION SELECT m.id FROM memories m JOIN chain c ON m.superseded_by = c.id
         )
         SELECT m.* FROM memories m JOIN chain c ON m.id = c.id WHERE m.namespace = ?
         ORDER BY m.valid_to IS NULL, m.valid_to, m.id`,
      )
      .all(id, namespace) as MemoryRow[];
    return this.hydrate(rows);
  }

  /** Marks the memory deleted and drops it from both indexes; the row stays as a tombstone. */
  softDelete(id: number, deletedAt: number): void {
    this.inTransaction(() => {
      this.statements.get('UPDATE memories SET deleted_at = ? WHERE id = ?').run(deletedAt, id);
      this.vectors.remove(id);
    });
  }

  hardDelete(id: number): void {
    this.inTransaction(() => {
      this.vectors.remove(id);
      this.statements.get('DELETE FROM memories WHERE id = ?').run(id);
    });
  }

  /**
   * The trash of a namespace: per content hash, its most recently deleted tombstone (a text deleted twice
   * is one entry), newest deletion first.
   */
  listDeleted(namespace: string, offset: number, limit: number): MemoryRecord[] {
    const rows = this.statements.get(TRASH_PAGE).all(namespace, limit, offset) as MemoryRow[];
    return this.hydrate(rows);
  }

  /**
   * listDeleted after a position instead of an offset: a range of memories_trash_by_time, however deep the
   * page. A tombstone is its text's newest when no later deletion of the text follows it (ties by id), as
   * on PostgreSQL: written as TRASH_PAGE's equality with the newest one's id, the plan sorts what it reads.
   */
  listDeletedAfter(namespace: string, after: TrashPosition | undefined, limit: number): MemoryRecord[] {
    const from = after ?? TRASH_START;
    const position = keysetAfter(BY_DELETION, { at: from.deletedAt, id: from.id }, true);
    const rows = this.statements
      .get(
        `SELECT m.* FROM memories m WHERE m.namespace = ? AND m.deleted_at IS NOT NULL AND ${position.sql}
         AND NOT EXISTS (SELECT 1 FROM memories n INDEXED BY memories_trash_by_hash WHERE n.namespace = m.namespace
           AND n.content_hash = m.content_hash AND n.deleted_at IS NOT NULL AND (n.deleted_at, n.id) > (m.deleted_at, m.id))
         ORDER BY m.deleted_at DESC, m.id DESC LIMIT ?`,
      )
      .all(namespace, ...position.params, limit) as MemoryRow[];
    return this.hydrate(rows);
  }

  /** Distinct content hashes in a namespace's trash: its `trash` tally (migration 031). */
  countDeleted(namespace: string): number {
    return this.statements
      .get("SELECT coalesce(sum(n), 0) FROM memory_tallies WHERE namespace = ? AND facet = 'trash' AND key = ''")
      .pluck()
      .get(namespace) as number;
  }

  /** The most recently deleted tombstone with this hash. */
  findDeletedByHash(namespace: string, contentHash: string): MemoryRecord | undefined {
    const row = this.statements
      .get(
        `SELECT * FROM memories WHERE namespace = ? AND content_hash = ? AND deleted_at IS NOT NULL
         ORDER BY deleted_at DESC, id DESC LIMIT 1`,
      )
      .get(namespace, contentHash) as MemoryRow | undefined;
    return row ? this.hydrate([row])[0] : undefined;
  }

  /** Each text in the trash whose hash starts with the prefix, as its newest tombstone (TRASH_BY_HASH_PREFIX). */
  findDeletedByHashPrefix(namespace: string, prefix: string, limit: number): MemoryRecord[] {
    const [from, below] = hashPrefixRange(prefix);
    const rows = this.statements.get(TRASH_BY_HASH_PREFIX).all(namespace, from, below, limit) as MemoryRow[];
    return this.hydrate(rows);
  }

  /**
   * Makes a tombstone live again with a fresh vector, in one transaction; refused (returning the live
   * memory) when a live memory with the same content exists by then; `gone` when it was purged meanwhile.
   */
  restoreDeleted(id: number, namespace: string, embedding: Float32Array, updatedAt: number): RestoreOutcome {
    return this.inTransaction(() => {
      const row = this.statements.get('SELECT * FROM memories WHERE id = ? AND namespace = ?').get(id, namespace) as
        MemoryRow | undefined;
      if (!row) return 'gone';
      const [tombstone] = this.hydrate([row]);
      const clash = this.findLiveByHash(namespace, tombstone.contentHash);
      if (clash) return { clash };
      this.statements.get('UPDATE memories SET deleted_at = NULL, updated_at = ? WHERE id = ?').run(updatedAt, id);
      this.vectors.put(id, namespace, embedding);
      return { restored: this.findLiveByIds(namespace, [id])[0] };
    });
  }

  /** Removes every tombstone with this hash for good; answers how many rows went. */
  purgeDeleted(namespace: string, contentHash: string): number {
    return this.inTransaction(
      () =>
        this.statements
          .get('DELETE FROM memories WHERE namespace = ? AND content_hash = ? AND deleted_at IS NOT NULL')
          .run(namespace, contentHash).changes,
    );
  }

  tagCounts(namespace: string): TagCount[] {
    return this.statements
      .get(
        `SELECT key AS tag, n AS count FROM memory_tallies WHERE namespace = ? AND facet = 'tag' AND n <> 0
         ORDER BY n DESC, key`,
      )
      .all(namespace) as TagCount[];
  }

  counts(namespace: string): MemoryCounts {
    const tallies = this.statements
      .get(
        `SELECT facet, key, n FROM memory_tallies WHERE namespace = ? AND facet IN ('live', 'deleted', 'type')
         AND n <> 0 ORDER BY n DESC, key`,
      )
      .all(namespace) as TallyRow[];
    // The ends of memories_live_created: two index probes.
    const span = this.statements
      .get(
        `SELECT (SELECT min(created_at) FROM memories WHERE namespace = ? AND deleted_at IS NULL) AS oldest,
                (SELECT max(created_at) FROM memories WHERE namespace = ? AND deleted_at IS NULL) AS newest`,
      )
      .get(namespace, namespace) as { oldest: number | null; newest: number | null };
    return {
      live: totalOf(tallies, 'live'),
      deleted: totalOf(tallies, 'deleted'),
      types: tallies.filter((row) => row.facet === 'type').map(({ key, n }) => ({ memory_type: key, count: n })),
      oldestMs: span.oldest,
      newestMs: span.newest,
    };
  }

  /** Live memories across every namespace, for the gauge. */
  countAllLive(): number {
    return this.statements
      .get("SELECT coalesce(sum(n), 0) FROM memory_tallies WHERE facet = 'live' AND key = ''")
      .pluck()
      .get() as number;
  }

  /** Memories as another store holds them, ids kept; the FTS trigger indexes only the live ones. */
  importMemories(memories: readonly MigratedMemory[]): void {
    this.inTransaction(() => {
      const insert = this.statements.get(
        `INSERT INTO memories (id, namespace, content_hash, content, memory_type, metadata, created_at, updated_at,
         deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const memory of memories) {
        insert.run(
          memory.id,
          memory.namespace,
          memory.contentHash,
          memory.content,
          memory.memoryType,
          JSON.stringify(memory.metadata),
          memory.createdAt,
          memory.updatedAt,
          memory.deletedAt,
        );
        this.replaceTags(memory.id, memory.tags);
        if (memory.embedding) this.vectors.put(memory.id, memory.namespace, memory.embedding);
      }
    });
  }

  importLinks(links: readonly MigratedLink[]): void {
    this.inTransaction(() => {
      const update = this.statements.get(
        'UPDATE memories SET superseded_by = ?, supersedes = ?, valid_to = ? WHERE id = ?',
      );
      for (const link of links) update.run(link.supersededBy, link.supersedes, link.validTo, link.id);
    });
  }

  /** A page of a list filtered by tags, read along a tag's range of memory_tags_live_created (tagged-page.sql.ts). */
  private taggedPage(filter: MemoryFilter, order: ListOrder, start: PageStart, limit: number): MemoryRecord[] {
    const page = taggedPageSql(filter, order, start, limit, 'm.*', this.taggedReading(filter));
    return this.hydrate(this.statements.get(page.sql).all(...page.params) as MemoryRow[]);
  }

  /**
   * Each tag row's memory checked in the filter index, which holds every column a filter checks: the rows
   * a count or an offset passes over are not read (a page's own are, for their columns).
   */
  private taggedReading(filter: MemoryFilter): TaggedReading {
    return {
      join: 'CROSS JOIN',
      memories: PROBED_MEMORIES,
      probe: 'probe-each',
      tagCount: this.tagTallies(filter.namespace, tagsToWeigh(filter)),
    };
  }

  /** How many live memories of the namespace carry each of the tags (their tallies); undefined for none. */
  private tagTallies(namespace: string, tags: readonly string[]): ((tag: string) => number) | undefined {
    if (tags.length === 0) return undefined;
    const rows = this.statements
      .get(
        `SELECT key, n FROM memory_tallies WHERE namespace = ? AND facet = 'tag'
         AND key IN (SELECT value FROM json_each(?))`,
      )
      .all(namespace, JSON.stringify(tags)) as { key: string; n: number }[];
    const counts = new Map(rows.map((row) => [row.key, row.n]));
    return (tag) => counts.get(tag) ?? 0;
  }

  /** One write transaction; on rollback the in-memory vector mirror may hold its changes, so it is dropped. */
  private inTransaction<T>(write: () => T): T {
    try {
      // IMMEDIATE takes the write lock first (waiting up to busy_timeout): a deferred transaction that
      // read before another process committed (the worker's restore or reindex switch) could not
      // upgrade to a writer and would fail at once with SQLITE_BUSY.
      return this.db.transaction(write).immediate();
    } catch (error) {
      this.vectors.invalidate();
      throw error;
    }
  }

  private supersedeRefusal(namespace: string, id: number): SupersedeRefusal | undefined {
    const [memory] = this.findLiveByIds(namespace, [id]);
    if (!memory) return { refused: 'gone' };
    if (memory.supersededBy !== null) return { refused: 'already_superseded', memory };
    return undefined;
  }

  private link(oldId: number, newId: number, at: number): void {
    this.statements.get('UPDATE memories SET superseded_by = ?, valid_to = ? WHERE id = ?').run(newId, at, oldId);
    this.statements.get('UPDATE memories SET supersedes = ? WHERE id = ?').run(oldId, newId);
  }

  private insertOne(memory: NewMemory): InsertOutcome {
    const existing = this.findLiveByHash(memory.namespace, memory.contentHash);
    if (existing) return { created: false, memory: existing };
    const { lastInsertRowid } = this.statements
      .get(
        `INSERT INTO memories (namespace, content_hash, content, memory_type, metadata, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        memory.namespace,
        memory.contentHash,
        memory.content,
        memory.memoryType,
        JSON.stringify(memory.metadata),
        memory.createdAt,
        memory.updatedAt,
      );
    const id = Number(lastInsertRowid);
    this.replaceTags(id, memory.tags);
    this.vectors.put(id, memory.namespace, memory.embedding);
    const { embedding: _embedding, ...stored } = memory;
    return {
      created: true,
      memory: { ...stored, id, deletedAt: null, supersededBy: null, supersedes: null, validTo: null },
    };
  }

  private replaceTags(id: number, tags: readonly string[]): void {
    this.statements.get('DELETE FROM memory_tags WHERE memory_id = ?').run(id);
    // Each tag row holds copies of its memory's namespace and times (migration 032).
    const insert = this.statements.get(
      `INSERT OR IGNORE INTO memory_tags (memory_id, tag, namespace, created_at, deleted_at)
       SELECT id, ?, namespace, created_at, deleted_at FROM memories WHERE id = ?`,
    );
    for (const tag of tags) insert.run(tag, id);
  }

  /** Rows to records, with every row's tags loaded in one query; keeps the rows' order. */
  private hydrate(rows: readonly MemoryRow[]): MemoryRecord[] {
    if (rows.length === 0) return [];
    const tagRows = this.statements
      .get('SELECT memory_id, tag FROM memory_tags WHERE memory_id IN (SELECT value FROM json_each(?)) ORDER BY tag')
      .all(JSON.stringify(rows.map((row) => row.id))) as { memory_id: number; tag: string }[];
    const tagsById = new Map<number, string[]>();
    for (const { memory_id, tag } of tagRows) tagsById.set(memory_id, [...(tagsById.get(memory_id) ?? []), tag]);
    const hashOf = this.linkedHashes(rows);
    return rows.map((row) => ({
      id: row.id,
      namespace: row.namespace,
      contentHash: row.content_hash,
      content: row.content,
      memoryType: row.memory_type,
      metadata: JSON.parse(row.metadata) as Record<string, unknown>,
      tags: tagsById.get(row.id) ?? [],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      deletedAt: row.deleted_at,
      supersededBy: row.superseded_by === null ? null : (hashOf.get(row.superseded_by) ?? null),
      supersedes: row.supersedes === null ? null : (hashOf.get(row.supersedes) ?? null),
      validTo: row.valid_to,
    }));
  }

  /** The content hashes of the memories the rows link to by supersession, in one query. */
  private linkedHashes(rows: readonly MemoryRow[]): Map<number, string> {
    const ids = rows.flatMap((row) => [row.superseded_by, row.supersedes]).filter((id) => id !== null);
    if (ids.length === 0) return new Map();
    const linked = this.statements
      .get('SELECT id, content_hash FROM memories WHERE id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(ids)) as { id: number; content_hash: string }[];
    return new Map(linked.map((row) => [row.id, row.content_hash]));
  }
}
