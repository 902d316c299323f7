import { z } from 'zod';
import { InvalidInput } from '../common/domain-errors';
import { queryInteger, TagsInput } from '../common/request-fields';
import { ENGRAM_EVENT_TYPES } from './engram-event';
import { FRAME_STYLES } from './sse-frames';

/**
 * A stream's position as sent in its `id:` lines (see StreamCursor): an event id (digits), or for a
 * credential bound to no namespace two joined by '-' (its namespace's, then the store-wide one's).
 */
export const EventIdInput = z
  .string()
  .trim()
  .regex(/^\d{1,16}(-\d{1,16})?$/, 'an event id is a whole number of at most 16 digits, or two joined by "-"')
  .transform((text) => text.split('-').map(Number));

const EventTypesInput = z
  .union([z.array(z.string()), z.string()])
  .transform((value) => [value].flat().flatMap((csv) => csv.split(',').map((type) => type.trim().toLowerCase())))
  .pipe(z.array(z.enum(ENGRAM_EVENT_TYPES)).min(1, 'name at least one event type'))
  .describe(`Comma-separated event types: ${ENGRAM_EVENT_TYPES.join(', ')}`);

export const EventStreamQuery = z
  .strictObject({
    types: EventTypesInput.optional(),
    type: EventTypesInput.optional().describe('Alias of types'),
    tags: TagsInput.optional().describe('Only events of memories carrying any of these tags (comma-separated)'),
    tag: TagsInput.optional().describe('Alias of tags'),
    last_event_id: EventIdInput.optional().describe('Replay events after this id (as the Last-Event-ID header)'),
    frames: z
      .enum(FRAME_STYLES)
      .default('both')
      .describe('both (default): each event as a named frame and as a plain message; named; message'),
    api_key: z.string().optional().describe('The API key, for EventSource, which cannot send headers'),
  })
  .transform(({ types, type, tags, tag, ...rest }) => ({
    ...rest,
    types: types || type ? [...(types ?? []), ...(type ?? [])] : undefined,
    tags: tags || tag ? [...(tags ?? []), ...(tag ?? [])] : undefined,
  }));
export type EventStreamInput = z.output<typeof EventStreamQuery>;

/** The Last-Event-ID header EventSource sends on reconnection; a malformed one is a 400 naming it. */
export function parseLastEventIdHeader(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parsed = EventIdInput.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new InvalidInput(`Invalid Last-Event-ID header: ${parsed.error.issues[0].message}`, {
    issues: [{ path: 'Last-Event-ID', message: parsed.error.issues[0].message }],
  });
}

export const RecentEventsQuery = z
  .strictObject({
    limit: queryInteger(1, 500, 100).describe('Events to return, newest first (1-500)'),
    types: EventTypesInput.optional().describe('Only these event types (comma-separated); the limit counts them'),
    type: EventTypesInput.optional().describe('Alias of types'),
  })
  .transform(({ types, type, ...rest }) => ({
    ...rest,
    types: types || type ? [...(types ?? []), ...(type ?? [])] : undefined,
  }));
export type RecentEventsInput = z.output<typeof RecentEventsQuery>;
