import { z } from 'zod';

/** MCP Memory Service's horizons: accepted and echoed, they do not change what is proposed. */
export const TIME_HORIZONS = ['daily', 'weekly', 'monthly', 'quarterly', 'yearly'] as const;

/** The longest --stale-days / stale_after_days, in days (a century). */
export const MAX_STALE_DAYS = 36_500;
/** The lowest similarity_threshold (--similarity): a cosine similarity, at most 1. */
export const MIN_SIMILARITY = 0.5;

export const TriggerConsolidationBody = z.strictObject({
  similarity_threshold: z
    .number()
    .min(MIN_SIMILARITY, `similarity_threshold is a cosine similarity from ${MIN_SIMILARITY} to 1`)
    .max(1, `similarity_threshold is a cosine similarity from ${MIN_SIMILARITY} to 1`)
    .optional()
    .describe('Memories at least this similar are proposed for merging (default ENGRAM_CONSOLIDATION_SIMILARITY)'),
  stale_after_days: z
    .number()
    .int()
    .min(1)
    .max(MAX_STALE_DAYS)
    .optional()
    .describe('Memories older than this, never retrieved, fetched or rated, are proposed for archiving'),
  dry_run: z
    .boolean()
    .default(true)
    .describe('true (default): only propose; false: apply the whole proposal set as soon as it is made'),
  time_horizon: z.enum(TIME_HORIZONS).optional().describe('MCP Memory Service: accepted and echoed only'),
});
export type TriggerConsolidationInput = z.output<typeof TriggerConsolidationBody>;

export const ProposalSetId = z
  .string()
  .regex(/^[\w-]{1,64}$/, 'proposal_set_id is an id from GET /api/consolidation/recommendations');

export const ApplyConsolidationBody = z.strictObject({
  proposal_set_id: ProposalSetId,
  item_ids: z
    .array(z.number().int().min(1))
    .min(1, 'item_ids names at least one item (leave it out to apply them all)')
    .max(10_000)
    .optional()
    .describe('The reviewed items to apply; all of the set when left out'),
});
export type ApplyConsolidationInput = z.output<typeof ApplyConsolidationBody>;

export const RecommendationsQuery = z.strictObject({
  proposal_set_id: ProposalSetId.optional().describe('A proposal set; the newest when left out'),
});
export type RecommendationsInput = z.output<typeof RecommendationsQuery>;

export const HorizonParam = z.enum(TIME_HORIZONS);

export const CleanupBody = z.strictObject({
  dry_run: z.boolean().default(false).describe('true: only report the duplicates'),
});
export type CleanupInput = z.output<typeof CleanupBody>;
