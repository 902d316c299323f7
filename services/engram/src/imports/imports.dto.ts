import { z } from 'zod';
import { queryInteger } from '../common/request-fields';
import { IMPORT_SOURCES } from './imports.types';

const SOURCE = z
  .enum(['auto', ...IMPORT_SOURCES])
  .default('auto')
  .describe(`What the file is: auto (detected), ${IMPORT_SOURCES.join(', ')}`);

/** `agent` is the and the CLI's word for the memory directory. */
const TARGET = z
  .enum(['memories', 'memory-dir', 'agent'])
  .default('memories')
  .transform((target) => (target === 'agent' ? 'memory-dir' : target))
  .describe("memories (semantic memories, default) or memory-dir (alias agent: the memory agent's markdown files)");

const FLAG = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1')])
  .default(false);

/** Form fields of a multipart upload (sent before the file part), or the same names in the query string. */
export const ImportUploadFields = z.strictObject({
  source: SOURCE,
  target: TARGET,
  dry_run: FLAG.describe('Report what would happen; write nothing'),
});
export type ImportUploadInput = z.output<typeof ImportUploadFields>;

/** A JSON request naming a file or folder inside ENGRAM_IMPORT_DIR. */
export const ImportPathBody = ImportUploadFields.extend({
  path: z.string().min(1).max(4096).describe('A file or folder inside ENGRAM_IMPORT_DIR, relative to it'),
});
export type ImportPathInput = z.output<typeof ImportPathBody>;

export const ImportJobIdParam = z.string().regex(/^[\w:.-]{1,200}$/, 'a job id');

/** How many of the namespace's own most recent jobs the import history looks through. */
export const IMPORT_HISTORY_SCAN = 200;

export const ImportHistoryQuery = z.strictObject({
  limit: queryInteger(1, 100, 20).describe('Import jobs to return, newest first (1-100)'),
});
export type ImportHistoryInput = z.output<typeof ImportHistoryQuery>;
