import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-errors';
import { contentHash } from '../memories/content-hash';
import { MemoryService } from '../memories/memory.service';
import { ArchiveProposal, MergeProposal, Proposal } from '../storage/consolidation.store';
import { MemoryRecord } from '../storage/memory.record';
import { UsageStore } from '../storage/usage.store';

/** What applying one proposal did: applied (with what changed), or skipped and why. */
export type ItemOutcome =
  | { status: 'merged'; memory: string; superseded: string[] }
  | { status: 'archived'; memory: string }
  | { status: 'skipped'; reason: string };

/**
 * Applies reviewed proposals in the caller's namespace through MemoryService, so every change is the
 * one a client could make (events, audit of deletions, supersession checks). A merge supersedes its
 * sources (kept as history, never deleted); an archive moves the memory to the trash, from which
 * `POST /api/memories/{hash}/restore` (MCP `memory_restore`) brings it back. A proposal the memories
 * moved on from since it was made (changed, superseded, deleted, used) is skipped, not forced.
 */
@Injectable()
export class ConsolidationApplier {
  constructor(
    private readonly memories: MemoryService,
    private readonly usage: UsageStore,
  ) {}

  async apply(proposal: Proposal): Promise<ItemOutcome> {
    try {
      return proposal.kind === 'merge' ? await this.merge(proposal) : await this.archive(proposal);
    } catch (error) {
      // A refusal by the memory layer (gone, duplicate, already superseded) concerns this item only.
      if (error instanceof DomainError && error.status < 500) return { status: 'skipped', reason: error.message };
      throw error;
    }
  }

  private async merge(proposal: MergeProposal): Promise<ItemOutcome> {
    const members: MemoryRecord[] = [];
    for (const { contentHash } of proposal.members) members.push(await this.memories.get(contentHash));
    const moved = members.find((member) => member.supersededBy !== null);
    if (moved) return { status: 'skipped', reason: `${moved.contentHash} was superseded since the proposal` };
    const kept = members.find((member) => member.contentHash === proposal.keep)!;
    const others = members.filter((member) => member !== kept);
    const tags = [...new Set(members.flatMap((member) => member.tags))].sort();
    let merged: MemoryRecord;
    if (contentHash(proposal.mergedContent) === kept.contentHash) {
      // The kept text says it all: the kept memory is the merged one, and absorbs the others.
      merged = await this.memories.update(kept.contentHash, {
        tags,
        metadata: withProvenance(kept, others),
      });
    } else {
      ({ current: merged } = await this.memories.supersede(kept.contentHash, {
        content: proposal.mergedContent,
        tags,
        memory_type: kept.memoryType,
        metadata: withProvenance(kept, members),
      }));
    }
    for (const other of others) await this.memories.linkSupersession(other.contentHash, merged.contentHash);
    const superseded = merged.contentHash === kept.contentHash ? others : members;
    return { status: 'merged', memory: merged.contentHash, superseded: superseded.map((m) => m.contentHash) };
  }

  private async archive(proposal: ArchiveProposal): Promise<ItemOutcome> {
    const memory = await this.memories.get(proposal.member.contentHash);
    if (memory.supersededBy !== null) return { status: 'skipped', reason: 'superseded since the proposal' };
    const signals = (await this.usage.signalsOf([memory.id])).get(memory.id);
    if (signals && (signals.retrievals + signals.fetches > 0 || signals.ratingCount > 0)) {
      return { status: 'skipped', reason: 'used since the proposal' };
    }
    await this.memories.deleteUnaudited(memory.contentHash, false);
    return { status: 'archived', memory: memory.contentHash };
  }
}

/** The kept memory's metadata with `consolidated_from` naming every source it absorbed (earlier ones kept). */
function withProvenance(kept: MemoryRecord, sources: readonly MemoryRecord[]): Record<string, unknown> {
  const earlier = Array.isArray(kept.metadata.consolidated_from) ? (kept.metadata.consolidated_from as string[]) : [];
  return {
    ...kept.metadata,
    consolidated_from: [...new Set([...earlier, ...sources.map((source) => source.contentHash)])],
  };
}
