import { z } from 'zod';
import { ContentHashParam, MAX_PAGE_SIZE } from '../memories/memory.dto';
import { queryInteger } from '../common/request-fields';

export const CONFLICT_STATUSES = ['open', 'resolved', 'dismissed', 'all'] as const;

export const ListConflictsQuery = z.strictObject({
  status: z.enum(CONFLICT_STATUSES).default('open').describe('open (default), resolved, dismissed or all'),
  page: queryInteger(1, 1_000_000, 1),
  page_size: queryInteger(1, MAX_PAGE_SIZE, 20),
});
export type ListConflictsInput = z.output<typeof ListConflictsQuery>;

export const RESOLUTIONS = ['supersede', 'keep_both', 'dismiss'] as const;

/**
 * A decision on a proposal: by its id, or (MCP Memory Service's shape) by winner_hash and loser_hash,
 * which means supersede. `supersede` names the memory that stays true in `keep` (or winner_hash).
 */
export const ResolveConflictBody = z
  .strictObject({
    conflict_id: z.number().int().min(1).optional().describe('The proposal, as GET /api/conflicts lists it'),
    action: z.enum(RESOLUTIONS).optional().describe('supersede, keep_both or dismiss (default supersede with hashes)'),
    keep: ContentHashParam.optional().describe('supersede: the memory that stays true; the other is superseded'),
    winner_hash: ContentHashParam.optional().describe('MCP Memory Service: the memory that stays true'),
    loser_hash: ContentHashParam.optional().describe('MCP Memory Service: the memory it supersedes'),
  })
  .superRefine((body, context) => {
    const byHashes = body.winner_hash !== undefined || body.loser_hash !== undefined;
    if (byHashes && (body.winner_hash === undefined || body.loser_hash === undefined)) {
      context.addIssue({ code: 'custom', message: 'give both winner_hash and loser_hash' });
    }
    if (byHashes === (body.conflict_id !== undefined)) {
      context.addIssue({ code: 'custom', message: 'give conflict_id, or winner_hash and loser_hash' });
    }
    if (!byHashes && body.action === undefined) context.addIssue({ code: 'custom', message: 'give an action' });
    if (body.action === 'supersede' && !byHashes && body.keep === undefined) {
      context.addIssue({ code: 'custom', message: 'supersede needs keep: the content_hash that stays true' });
    }
    // keep names the winner of a supersede; with keep_both or dismiss it would be silently ignored.
    if (body.keep !== undefined && body.action !== undefined && body.action !== 'supersede') {
      context.addIssue({ code: 'custom', message: `keep goes with supersede, not ${body.action}` });
    }
  });
export type ResolveConflictInput = z.output<typeof ResolveConflictBody>;
