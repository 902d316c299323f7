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
import { MemoryFilter } from './memory-filter.sql';

export type InsertOutcome = { created: true; memory: MemoryRecord } | { created: false; memory: MemoryRecord };

export type ListOrder = 'newest' | 'oldest';

/** Where a walk in creation order stands: the creation time and id of the last memory it was given. */
export interface MemoryPosition {
  createdAt: number;
  id: number;
}

/** Where a walk through a namespace's trash stands: the deletion time and id of the last tombstone given. */
export interface TrashPosition {
  deletedAt: number;
  id: number;
}

/** Before every memory in the order: where a walk without a position starts. */
export function walkStart(order: ListOrder): MemoryPosition {
  return order === 'oldest'
    ? { createdAt: Number.MIN_SAFE_INTEGER, id: 0 }
    : { createdAt: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
}

/** Before every tombstone, newest deletion first: where a walk through the trash starts. */
export const TRASH_START: TrashPosition = { deletedAt: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };

/** Why a supersession was not recorded. */
export type SupersedeRefusal =
  | { refused: 'duplicate'; memory: MemoryRecord }
  | { refused: 'already_superseded'; memory: MemoryRecord }
  | { refused: 'gone' };

export type RestoreOutcome = { restored: MemoryRecord } | { clash: MemoryRecord } | 'gone';

/**
 * The storage port for memories, their tags and their vectors, in the service's words. Adapters
 * (`sqlite/`, `postgres/`) decide how; every method is one transaction where it writes, and none hands
 * one namespace another's memories. Services depend on this class (it is also the Nest token).
 */
export abstract class MemoryStore {
  /** Stores each memory unless a live one with the same hash exists; one transaction for the lot. */
  abstract insertMany(memories: readonly NewMemory[]): Promise<InsertOutcome[]>;
  abstract findLiveByHash(namespace: string, contentHash: string): Promise<MemoryRecord | undefined>;
  /**
   * The live memories of the namespace whose hash starts with `prefix` (lowercase hex), in hash order, at
   * most `limit`: a range of the live-hash index, so a short prefix reads its first rows, never the namespace.
   */
  abstract findLiveByHashPrefix(namespace: string, prefix: string, limit: number): Promise<MemoryRecord[]>;
  /** The live memories of the namespace among the given ids, in no particular order. */
  abstract findLiveByIds(namespace: string, ids: readonly number[]): Promise<MemoryRecord[]>;
  /** findLiveByIds reading only each memory's text and creation time: search's candidates, hundreds a query. */
  abstract findLiveTexts(namespace: string, ids: readonly number[]): Promise<MemoryText[]>;
  /** The memories of the namespace among the given ids, deleted ones (tombstones) included. */
  abstract findInNamespace(namespace: string, ids: readonly number[]): Promise<MemoryRecord[]>;
  /**
   * A page of every live memory (superseded versions included), of one namespace or all, in id order
   * after `afterId`: what an export walks, in bounded memory. `withTrash` adds the deleted ones
   * (tombstones), for a backup.
   */
  abstract exportPage(
    namespace: string | undefined,
    afterId: number,
    limit: number,
    withTrash?: boolean,
  ): Promise<MemoryRecord[]>;
  abstract list(filter: MemoryFilter, offset: number, limit: number, order?: ListOrder): Promise<MemoryRecord[]>;
  /**
   * A page of the live memories the filter admits in `order` (creation time, then id; oldest first unless
   * asked), after the position `after` (from the first when undefined): for walks over a whole filter and
   * the list's cursor, where each page of `list` would pass over every memory before it again.
   */
  abstract listAfter(
    filter: MemoryFilter,
    after: MemoryPosition | undefined,
    limit: number,
    order?: ListOrder,
  ): Promise<MemoryRecord[]>;
  abstract count(filter: MemoryFilter): Promise<number>;
  /**
   * count(filter) where one of the namespace's tallies is the filter's count, as count itself takes it:
   * the whole namespace, one type or one tag, superseded versions left out or not (tallyOfFilter); undefined
   * otherwise. What a page reached by cursor gives as its total, where counting would make a walk quadratic.
   */
  abstract countFromTallies(filter: MemoryFilter): Promise<number | undefined>;
  /** Ids of live memories matching the filter among the given candidates, in no particular order. */
  abstract filterIds(filter: MemoryFilter, candidateIds: readonly number[]): Promise<Set<number>>;
  abstract update(id: number, namespace: string, changes: MemoryChanges): Promise<MemoryRecord>;
  /**
   * Stores `replacement` and records that it supersedes the memory `oldId`, in one transaction: the old
   * memory keeps its content and gains `supersededBy` and `validTo`. Refused when the replacement's text
   * is already live, or the old memory was superseded or deleted meanwhile.
   */
  abstract insertSuperseding(
    oldId: number,
    replacement: NewMemory,
    at: number,
  ): Promise<MemoryRecord | SupersedeRefusal>;
  /** Records that the existing memory `newId` supersedes `oldId` (both live, in the namespace). */
  abstract linkSupersession(
    namespace: string,
    oldId: number,
    newId: number,
    at: number,
  ): Promise<MemoryRecord | SupersedeRefusal>;
  /**
   * Every version connected to the memory by supersession (live or deleted), in the order they held:
   * superseded ones by when they stopped holding, then the current one.
   */
  abstract history(namespace: string, id: number): Promise<MemoryRecord[]>;
  /** Marks the memory deleted and drops it from the search indexes; the row stays as a tombstone. */
  abstract softDelete(id: number, deletedAt: number): Promise<void>;
  abstract hardDelete(id: number): Promise<void>;
  /** Per content hash its most recently deleted tombstone, newest deletion first. */
  abstract listDeleted(namespace: string, offset: number, limit: number): Promise<MemoryRecord[]>;
  /** listDeleted from after the position `after` (from the first when undefined) instead of an offset. */
  abstract listDeletedAfter(
    namespace: string,
    after: TrashPosition | undefined,
    limit: number,
  ): Promise<MemoryRecord[]>;
  /** Distinct content hashes in a namespace's trash. */
  abstract countDeleted(namespace: string): Promise<number>;
  abstract findDeletedByHash(namespace: string, contentHash: string): Promise<MemoryRecord | undefined>;
  /**
   * findLiveByHashPrefix for the trash: per content hash starting with `prefix`, its most recently deleted
   * tombstone (as findDeletedByHash), in hash order, at most `limit`; a range of the trash's hash index.
   */
  abstract findDeletedByHashPrefix(namespace: string, prefix: string, limit: number): Promise<MemoryRecord[]>;
  /**
   * Makes a tombstone live again with a fresh vector; refused (with the live memory) when a live memory
   * with the same content exists by then; `gone` when it was purged meanwhile.
   */
  abstract restoreDeleted(
    id: number,
    namespace: string,
    embedding: Float32Array,
    updatedAt: number,
  ): Promise<RestoreOutcome>;
  /** Removes every tombstone with this hash for good; answers how many rows went. */
  abstract purgeDeleted(namespace: string, contentHash: string): Promise<number>;
  abstract tagCounts(namespace: string): Promise<TagCount[]>;
  abstract counts(namespace: string): Promise<MemoryCounts>;
  /** Live memories across every namespace, for the gauge. */
  abstract countAllLive(): Promise<number>;

  /**
   * Writes memories exactly as another store holds them, for a migration into an empty store: ids, times
   * and trash state kept, tags, and each given vector as is (never re-embedded). One transaction.
   */
  abstract importMemories(memories: readonly MigratedMemory[]): Promise<void>;
  /** Sets the supersession links of imported memories, by their kept ids; one transaction. */
  abstract importLinks(links: readonly MigratedLink[]): Promise<void>;
}
