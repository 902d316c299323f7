import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AuditAction } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { currentNamespace } from '../auth/request-context';
import { MemoryService } from '../memories/memory.service';
import { MemoryUsageRow, UsageStore } from '../storage/usage.store';
import { normalisedText } from './merged-text';

export interface CleanupOutcome {
  /** Groups of current memories with the same normalised text. */
  groups: { kept: string; removed: string[] }[];
  removed: number;
  dryRun: boolean;
}

/**
 * `memory_cleanup`: removes exact duplicates among the current memories of the caller's namespace. The
 * content hash already refuses a second copy of the same trimmed, lower-cased text; what can remain are
 * texts that differ only in whitespace or Unicode form (normalisedText). Of each group the most used
 * memory stays (then the oldest); the others go to the trash, restorable.
 */
@Injectable()
export class ExactDuplicates {
  constructor(
    private readonly usage: UsageStore,
    private readonly memories: MemoryService,
    private readonly audit: AuditService,
  ) {}

  async cleanup(dryRun: boolean): Promise<CleanupOutcome> {
    const byText = new Map<string, MemoryUsageRow[]>();
    for await (const row of this.usage.currentMemories(currentNamespace())) {
      // A digest of the normalised text, so a large namespace is not held in memory.
      const key = createHash('sha256').update(normalisedText(row.content)).digest('base64');
      byText.set(key, [...(byText.get(key) ?? []), { ...row, content: '' }]);
    }
    const groups = [...byText.values()]
      .filter((rows) => rows.length > 1)
      .map((rows) => {
        const [kept, ...removed] = rows.sort(
          (a, b) => b.retrievals + b.fetches - (a.retrievals + a.fetches) || a.createdAt - b.createdAt,
        );
        return { kept: kept.contentHash, removed: removed.map((row) => row.contentHash) };
      });
    const removed = groups.flatMap((group) => group.removed);
    if (!dryRun && removed.length > 0) {
      for (const hash of removed) await this.memories.deleteUnaudited(hash, false);
      await this.audit.record({
        action: AuditAction.ConsolidationCleanup,
        outcome: 'success',
        details: { removed: removed.length, groups: groups.length },
      });
    }
    return { groups, removed: removed.length, dryRun };
  }
}
