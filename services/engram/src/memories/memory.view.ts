import type { PossibleConflict } from '../conflicts/conflict-scanner';
import { MemoryRecord } from '../storage/memory.record';
import type { MemoryPage } from './memory.service';

/** A memory as clients see it: MCP Memory Service field names, times as epoch seconds and ISO strings. */
export interface MemoryView {
  content_hash: string;
  content: string;
  tags: string[];
  memory_type: string;
  metadata: Record<string, unknown>;
  created_at: number;
  created_at_iso: string;
  updated_at: number;
  updated_at_iso: string;
  /** Present once a newer memory replaced this one. */
  superseded?: true;
  superseded_by?: string;
  valid_to?: number;
  valid_to_iso?: string;
  /** Present on a memory that replaced another. */
  supersedes?: string;
}

export function toMemoryView(record: MemoryRecord): MemoryView {
  return {
    ...baseView(record),
    ...(record.supersedes === null ? {} : { supersedes: record.supersedes }),
    ...supersededView(record),
  };
}

function supersededView(record: MemoryRecord) {
  if (record.supersededBy === null) return {};
  const validTo = record.validTo ?? record.updatedAt;
  return {
    superseded: true as const,
    superseded_by: record.supersededBy,
    valid_to: validTo / 1000,
    valid_to_iso: new Date(validTo).toISOString(),
  };
}

function baseView(record: MemoryRecord) {
  return {
    content_hash: record.contentHash,
    content: record.content,
    tags: record.tags,
    memory_type: record.memoryType,
    metadata: record.metadata,
    created_at: record.createdAt / 1000,
    created_at_iso: new Date(record.createdAt).toISOString(),
    updated_at: record.updatedAt / 1000,
    updated_at_iso: new Date(record.updatedAt).toISOString(),
  };
}

/** A memory in the trash: the view plus when it was deleted. */
export function toDeletedMemoryView(record: MemoryRecord) {
  const deletedAt = record.deletedAt ?? 0;
  return { ...toMemoryView(record), deleted_at: deletedAt / 1000, deleted_at_iso: new Date(deletedAt).toISOString() };
}

/** One version in a memory's history: the view, and whether it is in the trash. */
export function toHistoryView(record: MemoryRecord) {
  return record.deletedAt === null ? toMemoryView(record) : toDeletedMemoryView(record);
}

/** A page of memories as REST and MCP answer it. */
export function toMemoryPageView(page: MemoryPage, view: (record: MemoryRecord) => MemoryView = toMemoryView) {
  return {
    memories: page.memories.map((record) => view(record)),
    total: page.total,
    page: page.page,
    page_size: page.pageSize,
    has_more: page.hasMore,
    total_pages: page.totalPages,
    next_cursor: page.nextCursor,
  };
}

export const MEMORY_VIEW_SCHEMA = {
  type: 'object',
  properties: {
    content_hash: { type: 'string', description: 'SHA-256 of the trimmed, lower-cased content; the memory id' },
    content: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    memory_type: { type: 'string' },
    metadata: { type: 'object', additionalProperties: true },
    created_at: { type: 'number', description: 'Epoch seconds' },
    created_at_iso: { type: 'string', format: 'date-time' },
    updated_at: { type: 'number', description: 'Epoch seconds' },
    updated_at_iso: { type: 'string', format: 'date-time' },
    superseded: { type: 'boolean', description: 'Present (true) once a newer memory replaced this one' },
    superseded_by: { type: 'string', description: 'content_hash of the memory that replaced this one' },
    valid_to: { type: 'number', description: 'Epoch seconds it was superseded' },
    valid_to_iso: { type: 'string', format: 'date-time' },
    supersedes: { type: 'string', description: 'content_hash of the memory this one replaced' },
  },
};

/** Conflicts a stored memory raises (ENGRAM_CONFLICTS_ON_WRITE=suggest), for the store answer. */
export function toPossibleConflictsView(conflicts: PossibleConflict[] | undefined) {
  if (conflicts === undefined) return {};
  return {
    possible_conflicts: conflicts.map(({ proposal, other }) => ({
      conflict_id: proposal.number,
      score: proposal.score,
      evidence: proposal.evidence,
      judge: proposal.judge,
      memory: toMemoryView(other),
    })),
  };
}
