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
import { MemoryFilter } from '../memory-filter.sql';
import { MemoryRepository } from '../memory.repository';
import {
  InsertOutcome,
  ListOrder,
  MemoryPosition,
  MemoryStore,
  RestoreOutcome,
  SupersedeRefusal,
  TrashPosition,
} from '../memory.store';

/**
 * MemoryStore on SQLite: the synchronous MemoryRepository behind the async port. better-sqlite3 runs
 * each call to completion on this thread, so a resolved promise carries exactly today's result and
 * transactions keep their guarantees.
 */
export class SqliteMemoryStore extends MemoryStore {
  constructor(private readonly memories: MemoryRepository) {
    super();
  }

  async insertMany(memories: readonly NewMemory[]): Promise<InsertOutcome[]> {
    return this.memories.insertMany(memories);
  }

  async findLiveByHash(namespace: string, contentHash: string): Promise<MemoryRecord | undefined> {
    return this.memories.findLiveByHash(namespace, contentHash);
  }

  async findLiveByHashPrefix(namespace: string, prefix: string, limit: number): Promise<MemoryRecord[]> {
    return this.memories.findLiveByHashPrefix(namespace, prefix, limit);
  }

  async findLiveByIds(namespace: string, ids: readonly number[]): Promise<MemoryRecord[]> {
    return this.memories.findLiveByIds(namespace, ids);
  }

  async findLiveTexts(namespace: string, ids: readonly number[]): Promise<MemoryText[]> {
    return this.memories.findLiveTexts(namespace, ids);
  }

  async findInNamespace(namespace: string, ids: readonly number[]): Promise<MemoryRecord[]> {
    return this.memories.findInNamespace(namespace, ids);
  }

  async exportPage(
    namespace: string | undefined,
    afterId: number,
    limit: number,
    withTrash = false,
  ): Promise<MemoryRecord[]> {
    return this.memories.exportPage(namespace, afterId, limit, withTrash);
  }

  async list(filter: MemoryFilter, offset: number, limit: number, order?: ListOrder): Promise<MemoryRecord[]> {
    return this.memories.list(filter, offset, limit, order);
  }

  async listAfter(
    filter: MemoryFilter,
    after: MemoryPosition | undefined,
    limit: number,
    order?: ListOrder,
  ): Promise<MemoryRecord[]> {
    return this.memories.listAfter(filter, after, limit, order);
  }

  async count(filter: MemoryFilter): Promise<number> {
    return this.memories.count(filter);
  }

  async countFromTallies(filter: MemoryFilter): Promise<number | undefined> {
    return this.memories.countFromTallies(filter);
  }

  async filterIds(filter: MemoryFilter, candidateIds: readonly number[]): Promise<Set<number>> {
    return this.memories.filterIds(filter, candidateIds);
  }

  async update(id: number, namespace: string, changes: MemoryChanges): Promise<MemoryRecord> {
    return this.memories.update(id, namespace, changes);
  }

  async insertSuperseding(oldId: number, replacement: NewMemory, at: number): Promise<MemoryRecord | SupersedeRefusal> {
    return this.memories.insertSuperseding(oldId, replacement, at);
  }

  async linkSupersession(
    namespace: string,
    oldId: number,
    newId: number,
    at: number,
  ): Promise<MemoryRecord | SupersedeRefusal> {
    return this.memories.linkSupersession(namespace, oldId, newId, at);
  }

  async history(namespace: string, id: number): Promise<MemoryRecord[]> {
    return this.memories.history(namespace, id);
  }

  async softDelete(id: number, deletedAt: number): Promise<void> {
    this.memories.softDelete(id, deletedAt);
  }

  async hardDelete(id: number): Promise<void> {
    this.memories.hardDelete(id);
  }

  async listDeleted(namespace: string, offset: number, limit: number): Promise<MemoryRecord[]> {
    return this.memories.listDeleted(namespace, offset, limit);
  }

  async listDeletedAfter(namespace: string, after: TrashPosition | undefined, limit: number): Promise<MemoryRecord[]> {
    return this.memories.listDeletedAfter(namespace, after, limit);
  }

  async countDeleted(namespace: string): Promise<number> {
    return this.memories.countDeleted(namespace);
  }

  async findDeletedByHash(namespace: string, contentHash: string): Promise<MemoryRecord | undefined> {
    return this.memories.findDeletedByHash(namespace, contentHash);
  }

  async findDeletedByHashPrefix(namespace: string, prefix: string, limit: number): Promise<MemoryRecord[]> {
    return this.memories.findDeletedByHashPrefix(namespace, prefix, limit);
  }

  async restoreDeleted(
    id: number,
    namespace: string,
    embedding: Float32Array,
    updatedAt: number,
  ): Promise<RestoreOutcome> {
    return this.memories.restoreDeleted(id, namespace, embedding, updatedAt);
  }

  async purgeDeleted(namespace: string, contentHash: string): Promise<number> {
    return this.memories.purgeDeleted(namespace, contentHash);
  }

  async tagCounts(namespace: string): Promise<TagCount[]> {
    return this.memories.tagCounts(namespace);
  }

  async counts(namespace: string): Promise<MemoryCounts> {
    return this.memories.counts(namespace);
  }

  async countAllLive(): Promise<number> {
    return this.memories.countAllLive();
  }

  async importMemories(memories: readonly MigratedMemory[]): Promise<void> {
    this.memories.importMemories(memories);
  }

  async importLinks(links: readonly MigratedLink[]): Promise<void> {
    this.memories.importLinks(links);
  }
}
