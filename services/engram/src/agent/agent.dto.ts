import { z } from 'zod';
import { optionalQueryInteger, queryInteger } from '../common/request-fields';

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

/**
 * A memory file path from the URL to write (the containment rules are the memory folder's own). A path
 * the read routes would take for a history, a version or a revert (`notes/a.md/history`) is refused:
 * the file could never be read back.
 */
export const MemoryFilePathParam = z
  .string()
  .min(1, 'name a file')
  .max(1024, 'a path holds at most 1024 characters')
  .refine(
    (path) => !/^.+\/(history(\/[^/]*)?|revert)$/.test(path),
    'a path ending in /history, /history/{n} or /revert names a history or a revert here; choose another name',
  );

const MAX_ROUTE_CHARS = 1100;
const VERSION_DIGITS = /^[1-9]\d{0,14}$/;
const VERSION_MESSAGE = "a version is a positive whole number, as the file's history lists it";

/** What `GET /api/agent/files/{…}` names: a file, its history, or one version of it. */
export type FileReadTarget =
  | { view: 'file'; path: string }
  | { view: 'history'; path: string }
  | { view: 'version'; path: string; version: number };

/**
 * The URL after /api/agent/files/: `{path}`, `{path}/history` or `{path}/history/{version}` (so a file
 * named `history` at the end of a path is read as the history of its folder's path, never as a file).
 */
export const FileReadRoute = z
  .string()
  .min(1, 'name a file')
  .max(MAX_ROUTE_CHARS, `a path holds at most ${MAX_ROUTE_CHARS} characters`)
  .transform((raw, ctx): FileReadTarget => {
    const match = /^(.+)\/history(?:\/([^/]*))?$/.exec(raw);
    if (!match) return { view: 'file', path: raw };
    if (match[2] === undefined) return { view: 'history', path: match[1] };
    if (!VERSION_DIGITS.test(match[2])) {
      ctx.addIssue({ code: 'custom', message: VERSION_MESSAGE });
      return z.NEVER;
    }
    return { view: 'version', path: match[1], version: Number(match[2]) };
  });

/** The URL after /api/agent/files/ of a revert: `{path}/revert`. */
export const FileRevertRoute = z
  .string()
  .max(MAX_ROUTE_CHARS, `a path holds at most ${MAX_ROUTE_CHARS} characters`)
  .transform((raw, ctx): string => {
    const match = /^(.+)\/revert$/.exec(raw);
    if (match) return match[1];
    ctx.addIssue({ code: 'custom', message: 'POST /api/agent/files/{path}/revert reverts a file; name the file' });
    return z.NEVER;
  });

export const FileHistoryQuery = z.strictObject({
  cursor: optionalQueryInteger(1, Number.MAX_SAFE_INTEGER).describe('next_cursor of the previous page: older versions'),
  limit: queryInteger(1, 100, 20).describe('Versions per page (1-100)'),
});
export type FileHistoryInput = z.output<typeof FileHistoryQuery>;

export const FileWriteBody = z.strictObject({
  content: z.string().describe('The whole file, as text; journaled as a hand edit and searchable at once'),
});
export type FileWriteInput = z.output<typeof FileWriteBody>;

export const FileRevertBody = z.strictObject({
  version: z
    .number()
    .int(VERSION_MESSAGE)
    .min(1, VERSION_MESSAGE)
    .describe("The version to bring back, from the file's history (a deletion's version deletes the file)"),
});
export type FileRevertInput = z.output<typeof FileRevertBody>;
