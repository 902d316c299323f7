import { z } from 'zod';
import { MAX_PAGE_SIZE } from '../../memories/memory.dto';
import { MAX_QUERY_LENGTH, SEARCH_MODES } from '../../search/search.dto';

/** A search query as every search tool takes it: not blank, at most MAX_QUERY_LENGTH characters. */
export const QueryInput = z
  .string()
  .max(MAX_QUERY_LENGTH)
  .refine((query) => query.trim().length > 0, 'query must not be empty');

/** Output shapes shared by the tools: the MemoryView of the REST API, as zod for MCP output schemas. */
export const MemoryOutput = z.object({
  content_hash: z.string().describe('SHA-256 of the trimmed, lower-cased content; the memory id'),
  content: z.string(),
  tags: z.array(z.string()),
  memory_type: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.number().describe('Epoch seconds'),
  created_at_iso: z.string(),
  updated_at: z.number().describe('Epoch seconds'),
  updated_at_iso: z.string(),
  superseded: z.literal(true).optional().describe('Present once a newer memory replaced this one'),
  superseded_by: z.string().optional().describe('content_hash of the memory that replaced this one'),
  valid_to: z.number().optional().describe('Epoch seconds it was superseded'),
  valid_to_iso: z.string().optional(),
  supersedes: z.string().optional().describe('content_hash of the memory this one replaced'),
  deleted_at: z.number().optional().describe('Epoch seconds it was deleted (a version in the trash)'),
  deleted_at_iso: z.string().optional(),
});

export const SearchResultOutput = z.object({
  memory: MemoryOutput,
  score: z.number().describe('What the results are ordered by: the probability (0-1) that the memory is relevant'),
  similarity_score: z.number().nullable().describe('Cosine similarity of query and memory, -1…1'),
  keyword_score: z.number().nullable().describe('BM25 relevance when the memory matched query words'),
  rerank_score: z.number().nullable().describe("The reranker's score when the rerank stage ordered the results"),
  signals: z.record(z.string(), z.number()).nullable().describe('What the relevance model weighed (docs/retrieval.md)'),
  relevance_reason: z.string(),
  quality_score: z.number().optional().describe('With quality_boost: the quality blended into score'),
});

export const RerankStatusOutput = z
  .object({ applied: z.boolean(), model: z.string().nullable().optional(), reason: z.string().optional() })
  .describe('Whether a reranker ordered the results; if not, why (not_configured, not_requested, timeout, error)');

/** Result limit of the search tools: 1–100. */
export const ResultLimit = z.number().int().min(1).max(MAX_PAGE_SIZE);

/** `exact` is MCP Memory Service's name for word matching; it runs Engram's keyword (BM25) mode. */
export const SearchModeInput = z
  .enum([...SEARCH_MODES, 'exact'])
  .default('hybrid')
  .describe('hybrid (default): meaning and words fused; semantic: meaning only; keyword (or exact): BM25 words')
  .transform((mode) => (mode === 'exact' ? 'keyword' : mode));

/** The first line of a memory, shortened: a title for lists and connectors. */
export function titleOf(content: string, max = 80): string {
  const line = content.trim().split('\n', 1)[0].trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/** A short preview of a memory's content for one-line text answers. */
export function previewOf(content: string, max = 120): string {
  const flat = content.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/** The LLM judge's verdict on a proposal (ENGRAM_CONFLICTS_JUDGE_URL); null without a judge. */
export const JudgeOutput = z
  .object({
    verdict: z
      .enum(['contradiction', 'update', 'compatible', 'unrelated', 'unavailable'])
      .describe('unavailable: the judge timed out, failed or answered nonsense; the CPU proposal stands'),
    model: z.string(),
    reason: z.string().optional(),
  })
  .nullable()
  .describe('The LLM judge: contradiction or update confirm the pair; null when no judge was configured');

export const PossibleConflictOutput = z.object({
  conflict_id: z.number(),
  score: z.number().describe('0-1: how sure the detector is'),
  evidence: z.array(z.string()),
  judge: JudgeOutput,
  memory: MemoryOutput.describe('The stored memory this one may contradict'),
});

export const ConflictOutput = z.object({
  id: z.number(),
  score: z.number(),
  evidence: z.array(z.string()).describe('Why the pair was proposed'),
  judge: JudgeOutput,
  status: z.enum(['open', 'resolved', 'dismissed']),
  resolution: z
    .string()
    .nullable()
    .describe('supersede, keep_both or dismiss once decided; judge_dismissed when the LLM judge rejected the pair'),
  kept: z.string().optional().describe('After supersede: the memory that stayed true'),
  created_at_iso: z.string(),
  resolved_at_iso: z.string().nullable(),
  older: MemoryOutput,
  newer: MemoryOutput,
});
