import { z } from 'zod';
import { QualityRankingFields } from '../quality/quality.dto';
import {
  INCLUDE_SUPERSEDED_DESCRIPTION,
  MAX_PAGE_SIZE,
  MemoryTypeInput,
  TimeFilterFields,
} from '../memories/memory.dto';
import { TagsInput } from '../common/request-fields';

export const SEARCH_MODES = ['hybrid', 'semantic', 'keyword'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];
export const MAX_QUERY_LENGTH = 4000;

const limit = z.number().int().min(1).max(MAX_PAGE_SIZE);

/**
 * Result-quality options shared by REST `POST /api/search` and MCP `memory_search`, defined once so
 * both transports take the same names and ranges.
 */
export const SearchQualityFields = {
  min_score: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('Drop results whose score (a 0-1 probability of relevance) is lower'),
  rerank: z
    .boolean()
    .default(true)
    .describe('false: skip the reranker (when one is configured) and keep the first-stage order'),
};

export const SearchBody = z
  .strictObject({
    query: z
      .string()
      .max(MAX_QUERY_LENGTH)
      .refine((query) => query.trim().length > 0, 'query must not be empty'),
    mode: z.enum(SEARCH_MODES).default('hybrid').describe('hybrid (default): vector + BM25 fused; semantic; keyword'),
    limit: limit.optional().describe('Results to return, 1-100 (default 10)'),
    n_results: limit.optional().describe('Alias of limit (MCP Memory Service)'),
    tags: TagsInput.optional(),
    tag_match: z.enum(['any', 'all']).default('any'),
    memory_type: MemoryTypeInput.optional(),
    similarity_threshold: z
      .number()
      .min(-1)
      .max(1)
      .optional()
      .describe('Drop results whose cosine similarity is lower'),
    ...SearchQualityFields,
    ...QualityRankingFields,
    include_superseded: z.boolean().optional().describe(INCLUDE_SUPERSEDED_DESCRIPTION),
    ...TimeFilterFields,
  })
  .transform(({ n_results, limit: explicit, ...rest }) => ({ ...rest, limit: explicit ?? n_results ?? 10 }));
export type SearchInput = z.output<typeof SearchBody>;

export const SearchByTagBody = z
  .strictObject({
    tags: TagsInput.refine((tags) => tags.length > 0, 'give at least one tag'),
    match_all: z.boolean().optional().describe('true: every tag must match (same as tag_match=all)'),
    tag_match: z.enum(['any', 'all']).optional().describe('any (default) or all'),
    limit: limit.optional(),
    n_results: limit.optional(),
    include_superseded: z.boolean().optional().describe(INCLUDE_SUPERSEDED_DESCRIPTION),
    ...TimeFilterFields,
    time_filter: TimeFilterFields.time_expr.describe('Alias of time_expr (MCP Memory Service hooks send it)'),
  })
  .transform(({ match_all, tag_match, n_results, limit: explicit, time_filter, ...rest }) => ({
    ...rest,
    ...(rest.time_expr === undefined && time_filter !== undefined ? { time_expr: time_filter } : {}),
    tagMatch: tag_match ?? (match_all ? 'all' : 'any'),
    limit: explicit ?? n_results ?? 10,
  }));
export type SearchByTagInput = z.output<typeof SearchByTagBody>;

export const SearchByTimeBody = z
  .strictObject({
    query: z
      .string()
      .max(500)
      .refine((query) => query.trim().length > 0, 'query must not be empty')
      .describe('A time phrase: "yesterday", "last week", "between march and may"'),
    semantic_query: z.string().max(MAX_QUERY_LENGTH).optional().describe('Rank the memories of that time by this text'),
    limit: limit.optional(),
    n_results: limit.optional(),
  })
  .transform(({ n_results, limit: explicit, ...rest }) => ({ ...rest, limit: explicit ?? n_results ?? 10 }));
export type SearchByTimeInput = z.output<typeof SearchByTimeBody>;
