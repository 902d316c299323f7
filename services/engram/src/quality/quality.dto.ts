import { z } from 'zod';

export const RateMemoryBody = z.strictObject({
  rating: z
    .union([z.literal(-1), z.literal(0), z.literal(1)])
    .describe('-1 (thumbs down), 0 (neutral) or 1 (thumbs up)'),
  feedback: z.string().max(1000).optional().describe('Why, in a sentence (kept with the last rating)'),
});
export type RateMemoryInput = z.output<typeof RateMemoryBody>;

const queryScore = z
  .string()
  .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'expected a number from 0 to 1')
  .transform(Number);

export const DistributionQuery = z.strictObject({
  min_quality: queryScore.default(0).describe('Only memories scoring at least this'),
  max_quality: queryScore.default(1).describe('Only memories scoring at most this'),
});
export type DistributionInput = z.output<typeof DistributionQuery>;

/**
 * Quality in the ranking, as MCP Memory Service takes it: `quality_boost` true (or a weight 0–1, its MCP
 * tool's form) turns re-ranking on; `quality_weight` (default 0.3) is the share of quality in the score.
 */
export const QualityRankingFields = {
  quality_boost: z
    .union([z.boolean(), z.number().min(0).max(1)])
    .optional()
    .describe('true (or a weight 0-1) re-ranks results by a blend of relevance and quality; default off'),
  quality_weight: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('Share of quality in the blended score, 0-1 (default 0.3 when quality_boost is true)'),
};

export const DEFAULT_QUALITY_WEIGHT = 0.3;

/** The weight of quality in the ranking the request asks for; 0 leaves the ranking untouched. */
export function qualityWeightOf(input: { quality_boost?: boolean | number; quality_weight?: number }): number {
  const { quality_boost: boost, quality_weight: weight } = input;
  if (boost === undefined || boost === false) return 0;
  if (typeof boost === 'number') return weight ?? boost;
  return weight ?? DEFAULT_QUALITY_WEIGHT;
}
