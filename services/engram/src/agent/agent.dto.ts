import { z } from 'zod';

const MAX_QUESTION_CHARS = 20_000;

/** Shared by REST and the MCP tool: one definition of what a question may hold. */
export const AgentQueryFields = {
  question: z
    .string()
    .max(MAX_QUESTION_CHARS, `question holds at most ${MAX_QUESTION_CHARS} characters`)
    .refine((question) => question.trim().length > 0, 'question must not be empty')
    .describe("The user's message, verbatim: a question to answer from memory, facts to remember, or both"),
  filters: z
    .union([z.string().max(2000), z.array(z.string().max(2000)).max(50)])
    .optional()
    .transform((filters) => (filters === undefined ? [] : Array.isArray(filters) ? filters : [filters]))
    .transform((filters) => filters.map((rule) => rule.trim()).filter((rule) => rule !== ''))
    .describe(
      'Privacy rules for this answer, e.g. "do not reveal ages" or "only reveal names"; added to the memory\'s .filters file',
    ),
};

export const AgentQueryBody = z.strictObject(AgentQueryFields);
export type AgentQueryInput = z.output<typeof AgentQueryBody>;

/** The privacy rules file holds at most this much (it is sent with every question). */
const MAX_FILTERS_CHARS = 20_000;

export const FiltersBody = z.strictObject({
  content: z
    .string()
    .max(MAX_FILTERS_CHARS, `.filters holds at most ${MAX_FILTERS_CHARS} characters`)
    .describe('The whole file: one rule per line, e.g. "- do not reveal ages"'),
});
export type FiltersInput = z.output<typeof FiltersBody>;

/** A memory file path from the URL (the containment rules are the memory folder's own). */
export const MemoryFilePathParam = z.string().min(1, 'name a file').max(1024, 'a path holds at most 1024 characters');
