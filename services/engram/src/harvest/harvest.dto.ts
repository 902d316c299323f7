import { z } from 'zod';
import { WritableMemoryType } from '../memories/memory.dto';
import { TagsInput } from '../common/request-fields';
import { STORE_SESSION_FIELDS } from '../memories/session.dto';

export const MAX_TRANSCRIPT_CHARS = 200_000;

/** A transcript to mine for memories: as text or as turns; the candidates come back, or are stored when asked. */
export const HARVEST_FIELDS = {
  transcript: z.string().max(MAX_TRANSCRIPT_CHARS).optional().describe('The conversation as plain text'),
  turns: STORE_SESSION_FIELDS.turns.optional().describe('Or the conversation as turns [{role, content}]'),
  store: z.boolean().default(false).describe('true: store the candidates (duplicates are reported, not stored)'),
  tags: TagsInput.optional().describe('Tags added to every stored candidate'),
  max_candidates: z.number().int().min(1).max(50).default(20).describe('At most this many candidates (20)'),
};

const oneSource = (body: { transcript?: string; turns?: unknown[] }) =>
  (body.transcript?.trim() ? 1 : 0) + (body.turns ? 1 : 0) === 1;
export const ONE_SOURCE_MESSAGE = 'give the conversation as transcript (non-empty) or as turns, one of them';

export const HarvestBody = z.strictObject(HARVEST_FIELDS).refine(oneSource, ONE_SOURCE_MESSAGE);
export const HarvestToolInput = z.object(HARVEST_FIELDS).refine(oneSource, ONE_SOURCE_MESSAGE);
export type HarvestInput = z.output<typeof HarvestBody>;

/** One memory the model proposes; what it answers is checked item by item against this. */
export const HarvestCandidate = z.object({
  content: z.string().trim().min(1).max(2000),
  memory_type: WritableMemoryType.optional(),
  tags: TagsInput.optional(),
});
export type HarvestCandidateInput = z.output<typeof HarvestCandidate>;
