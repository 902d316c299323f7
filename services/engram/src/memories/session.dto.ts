import { z } from 'zod';
import { MetadataInput, WritableMemoryType } from './memory.dto';
import { TagsInput } from '../common/request-fields';

const SessionTurn = z.object({
  role: z
    .string()
    .trim()
    .min(1, 'role must not be empty')
    .max(32)
    .describe('Who spoke: user, assistant, system, tool…'),
  content: z.string().refine((content) => content.trim().length > 0, 'a turn needs content'),
});

/**
 * A conversation to remember (MCP Memory Service's `memory_store_session` and `POST /api/sessions`): the
 * whole session as one memory, and windows of turns as chunks that point back to it.
 */
export const STORE_SESSION_FIELDS = {
  turns: z.array(SessionTurn).min(1, 'turns must hold at least one turn').max(1000),
  session_id: z.string().trim().min(1).max(90).optional().describe('Adds the tag session:<id>'),
  tags: TagsInput.optional(),
  memory_type: WritableMemoryType.optional().describe('Default: session'),
  metadata: MetadataInput.optional(),
  window: z
    .number()
    .int()
    .min(1)
    .max(50)
    .default(4)
    .describe('Turns per chunk (default 4); a session no longer than this gets no chunks'),
  overlap: z.number().int().min(0).max(49).default(1).describe('Turns consecutive chunks share (default 1)'),
};

export const overlapBelowWindow = (body: { window: number; overlap: number }) => body.overlap < body.window;
export const OVERLAP_MESSAGE = 'overlap must be smaller than window';

export const StoreSessionBody = z.strictObject(STORE_SESSION_FIELDS).refine(overlapBelowWindow, OVERLAP_MESSAGE);
export type StoreSessionInput = z.output<typeof StoreSessionBody>;
