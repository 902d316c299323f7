/** What every memory has, stored or about to be: times in epoch milliseconds, tags normalised. */
interface MemoryFields {
  namespace: string;
  contentHash: string;
  content: string;
  memoryType: string;
  metadata: Record<string, unknown>;
  tags: string[];
  createdAt: number;
  updatedAt: number;
}

/** What search reads of every candidate: the text and when it was stored; full records only for results. */
export interface MemoryText {
  id: number;
  content: string;
  createdAt: number;
}

/** A memory as stored. */
export interface MemoryRecord extends MemoryFields {
  id: number;
  deletedAt: number | null;
  /** The content_hash of the memory that replaced this one; null while it is current. */
  supersededBy: string | null;
  /** The content_hash of the memory this one replaced. */
  supersedes: string | null;
  /** When it was superseded, epoch ms. */
  validTo: number | null;
}

/** A memory to insert, with its embedding. */
export interface NewMemory extends MemoryFields {
  embedding: Float32Array;
}

/** Fields an update may change; absent fields keep their value. */
export interface MemoryChanges {
  content?: string;
  contentHash?: string;
  embedding?: Float32Array;
  memoryType?: string;
  metadata?: Record<string, unknown>;
  tags?: string[];
  updatedAt: number;
}

export interface TagCount {
  tag: string;
  count: number;
}

/** A namespace's totals; the tags in use are `tagCounts`, apart, since counting them is the costly part. */
export interface MemoryCounts {
  live: number;
  deleted: number;
  types: { memory_type: string; count: number }[];
  oldestMs: number | null;
  newestMs: number | null;
}

/**
 * A memory as another store holds it, for `engram migrate-storage`: its id there (kept, so links stay
 * exact), its trash state, and its vector when it has one (tombstones have none).
 */
export interface MigratedMemory extends MemoryFields {
  id: number;
  deletedAt: number | null;
  embedding?: Float32Array;
}

/** A supersession link between migrated memories, by their kept ids. */
export interface MigratedLink {
  id: number;
  supersededBy: number | null;
  supersedes: number | null;
  validTo: number | null;
}
