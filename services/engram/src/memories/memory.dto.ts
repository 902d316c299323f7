import { z } from 'zod';
import { isoDateMs } from '../common/iso-date';
import { optionalQueryInteger, queryInteger, TagsInput } from '../common/request-fields';
import { MAX_CURSOR_LENGTH } from './list-cursor';

/**
 * The shapes clients send, defined once: they validate REST input, feed the OpenAPI document, and the
 * MCP tool schemas build on them. Field names follow MCP Memory Service so its clients work unchanged.
 */

export const MAX_PAGE_SIZE = 100;

export const MemoryTypeInput = z
  .string()
  .transform((type) => type.trim().toLowerCase())
  .pipe(
    z
      .string()
      .regex(
        /^[a-z][a-z0-9_-]{0,63}$/,
        'memory_type is a word of letters, digits, _ or - (e.g. note, observation, decision)',
      ),
  )
  .describe('Memory type, e.g. note, observation, decision, learning, error, pattern');

/** The type of the memory directory's search entries (MemoryFileIndexer): written by Engram alone. */
export const MEMORY_FILE_TYPE = 'memory_file';

export const RESERVED_MEMORY_TYPE = `memory_type ${MEMORY_FILE_TYPE} is reserved for the memory directory's search entries`;

/** Whether a type names MEMORY_FILE_TYPE once read as the store reads types (trimmed, lower case). */
export function isReservedMemoryType(type: string): boolean {
  return type.trim().toLowerCase() === MEMORY_FILE_TYPE;
}

/** A type a client (or an import) may give a memory it writes: any but MEMORY_FILE_TYPE. */
export const WritableMemoryType = MemoryTypeInput.refine((type) => !isReservedMemoryType(type), RESERVED_MEMORY_TYPE);

/** The latest instant a JavaScript Date holds (epoch ms); a later one has no ISO form and breaks every read. */
export const MAX_TIMESTAMP_MS = 8.64e15;

/** How far ahead of the server's clock a created_at may be: a client's clock running a little fast, no more. */
export const MAX_CREATED_AT_SKEW_MS = 5 * 60 * 1000;

/** Epoch seconds (as MCP Memory Service returns them) or an ISO 8601 string; becomes epoch milliseconds. */
export const TimestampInput = z
  .union([
    z
      .number()
      .finite()
      .min(0)
      .max(MAX_TIMESTAMP_MS / 1000, `epoch seconds above ${MAX_TIMESTAMP_MS / 1000} are past the valid date range`)
      .transform((seconds) => Math.round(seconds * 1000)),
    z
      .string()
      .refine((text) => !Number.isNaN(isoDateMs(text)), 'expected an ISO 8601 date (a day the calendar has)')
      .transform(isoDateMs),
  ])
  .describe('Epoch seconds or an ISO 8601 date/time');

export const MetadataInput = z.record(z.string(), z.unknown()).describe('Free-form JSON object');

const nonBlankContent = z
  .string()
  .refine((content) => content.trim().length > 0, 'content must not be empty')
  .describe('The text to remember');

export const StoreMemoryBody = z.strictObject({
  content: nonBlankContent,
  tags: TagsInput.optional(),
  memory_type: WritableMemoryType.optional(),
  metadata: MetadataInput.optional(),
  created_at: TimestampInput.optional().describe(
    `When the remembered thing happened (default: now); at most ${MAX_CREATED_AT_SKEW_MS / 60_000} minutes ahead of the server's clock`,
  ),
  client_hostname: z.string().max(255).optional().describe('Recorded in metadata.client_hostname'),
  conversation_id: z.string().max(255).optional().describe('Recorded in metadata.conversation_id'),
});
export type StoreMemoryInput = z.output<typeof StoreMemoryBody>;

/** A memory replacing another: as for store; tags, type and metadata left out are carried over. */
export const SupersedeMemoryBody = StoreMemoryBody;

export const BatchStoreBody = z.strictObject({
  memories: z.array(StoreMemoryBody).min(1, 'memories must hold at least one memory'),
});

export const UpdateMemoryBody = z
  .strictObject({
    content: nonBlankContent.optional().describe('New text; re-embedded, and the content_hash changes'),
    tags: TagsInput.optional().describe('Replaces the tags'),
    memory_type: WritableMemoryType.optional(),
    metadata: MetadataInput.optional().describe('Replaces the metadata'),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one of content, tags, memory_type, metadata');
export type UpdateMemoryInput = z.output<typeof UpdateMemoryBody>;

export const ContentHashParam = z
  .string()
  .regex(/^[0-9a-f]{64}$/i, 'content_hash is 64 hexadecimal characters')
  .transform((hash) => hash.toLowerCase());

/** The hash of a memory as the CLI prints it (12 characters) or whole: at least 8 hex, so a few rows share it. */
export const MIN_HASH_PREFIX = 8;
export const HashPrefixArg = z
  .string()
  .regex(
    new RegExp(`^[0-9a-f]{${MIN_HASH_PREFIX},64}$`, 'i'),
    `content_hash is ${MIN_HASH_PREFIX} to 64 hexadecimal characters (the start of a memory's hash, or all of it)`,
  )
  .transform((hash) => hash.toLowerCase());

const queryBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');

export const INCLUDE_SUPERSEDED_DESCRIPTION =
  'true: also memories a newer one superseded, marked with superseded_by (default: current ones only)';

/** Time filters shared by listing and search: a phrase, explicit bounds, or both (intersected). */
export const TimeFilterFields = {
  time_expr: z.string().max(500).optional().describe('Natural-language time: "yesterday", "last 30 days", "march"'),
  after: TimestampInput.optional().describe('Only memories created at or after this time'),
  before: TimestampInput.optional().describe('Only memories created before this time'),
};

const queryTimestamp = z
  .string()
  .transform((text) => (/^\d+(\.\d+)?$/.test(text) ? Number(text) : text))
  .pipe(TimestampInput);

/** A page number, left out (default 1) when a cursor continues the walk instead. */
export const PageNumberInput = z
  .number()
  .int()
  .min(1)
  .max(1_000_000)
  .describe(
    'Page number, from 1 (default 1): the page_size memories after (page - 1) * page_size others; not with cursor',
  );

/** The next_cursor of the page before: the page after its last row, however deep, without an offset. */
export const ListCursorInput = z
  .string()
  .min(1)
  .max(MAX_CURSOR_LENGTH)
  .describe(
    'next_cursor of the page before: the page after its last memory (give the same filters and order; not with page)',
  );

export const PAGE_TOTAL_DESCRIPTION =
  "Memories the filters admit; on a page reached by cursor only when the namespace's running counts give it " +
  '(no filter but include_superseded, or one tag alone), else null';

const queryPage = optionalQueryInteger(1, 1_000_000).describe(PageNumberInput.description!);

export const ListMemoriesQuery = z.strictObject({
  page: queryPage,
  cursor: ListCursorInput.optional(),
  page_size: queryInteger(1, MAX_PAGE_SIZE, 10),
  tag: TagsInput.optional().describe('Comma-separated tags (alias: tags)'),
  tags: TagsInput.optional(),
  tag_match: z.enum(['any', 'all']).default('any'),
  memory_type: MemoryTypeInput.optional(),
  time_expr: TimeFilterFields.time_expr,
  after: queryTimestamp.optional(),
  before: queryTimestamp.optional(),
  order: z.enum(['newest', 'oldest']).default('newest'),
  include_superseded: queryBoolean.optional().describe(INCLUDE_SUPERSEDED_DESCRIPTION),
});
export type ListMemoriesInput = z.output<typeof ListMemoriesQuery>;

export const TrashQuery = z.strictObject({
  page: queryPage,
  cursor: ListCursorInput.optional(),
  page_size: queryInteger(1, MAX_PAGE_SIZE, 10),
});
export type TrashInput = z.output<typeof TrashQuery>;

export const DeleteMemoryQuery = z.strictObject({
  hard: queryBoolean.default(false).describe('true: remove the row for good; default: soft delete'),
});
