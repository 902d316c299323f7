/** A memory as stored: times in epoch milliseconds, tags normalised. */
export interface MemoryRecord {
  id: number;
  namespace: string;
  contentHash: string;
  content: string;
  memoryType: string;
  metadata: Record<string, unknown>;
  tags: string[];
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export interface NewMemory {
  namespace: string;
  contentHash: string;
  content: string;
  memoryType: string;
  metadata: Record<string, unknown>;
  tags: string[];
  createdAt: number;
  updatedAt: number;
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

export interface MemoryCounts {
  live: number;
  deleted: number;
  tags: number;
  types: { memory_type: string; count: number }[];
  oldestMs: number | null;
  newestMs: number | null;
}
