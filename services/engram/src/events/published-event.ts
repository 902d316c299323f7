import { EngramEvent, EventDraft } from './engram-event';
import { Loss, LOST_EVERYWHERE } from './event-relay';

/** An event with its place in the deployment's publish order, which stays between the processes. */
export interface Published {
  place: number;
  event: EngramEvent;
}

/** A message's place, id and the JSON after them, as text; undefined when it has fewer parts. */
export function messageParts(message: string): [place: string, id: string, json: string] | undefined {
  const [place, id] = message.split(' ', 2);
  if (id === undefined) return undefined;
  return [place, id, message.slice(place.length + id.length + 2)];
}

/** The message of the relays that carry events between processes, which `parseLogMessage` reads. */
export function publishedMessage(place: number, id: number, draftJson: string): string {
  return `${place} ${id} ${draftJson}`;
}

export function parsePublished(place: string, id: string, json: string): Published | undefined {
  const entry = parsePlaced(place, id, json);
  const draft = entry?.body as EventDraft | undefined;
  return typeof draft?.type === 'string' ? { place: entry!.place, event: { id: entry!.id, ...draft } } : undefined;
}

/** A place and an id (each up to 16 digits) and a JSON object; undefined when any of them is malformed. */
export function parsePlaced(
  place: string,
  id: string,
  json: string,
): { place: number; id: number; body: object } | undefined {
  if (!/^\d{1,16}$/.test(place) || !/^\d{1,16}$/.test(id)) return undefined;
  try {
    const body: unknown = JSON.parse(json);
    return typeof body === 'object' && body !== null ? { place: Number(place), id: Number(id), body } : undefined;
  } catch {
    return undefined;
  }
}

/** Events dropped unpublished, at their place in the publish order (see LostEvents). */
export interface PlacedLoss {
  place: number;
  lost: Loss;
  event?: undefined;
}

/** What a relay carries at a place: an event, or where events were lost. */
export type LogEntry = Published | PlacedLoss;

/**
 * A loss's draft: `{lost, namespace}`, without a `type`, so builds that know no losses skip it as malformed.
 */
export function lossDraft(namespace: string, count: number): string {
  return JSON.stringify({ lost: count, namespace });
}

/** An all-namespaces loss's draft (see LostEverywhere): no namespace, no count; builds that know none skip it. */
export const LOSS_EVERYWHERE_DRAFT = JSON.stringify({ lost: 'everywhere' });

/** A message `<place> <id> <draft>`: an event or a loss; undefined when malformed. */
export function parseLogMessage(message: string): LogEntry | undefined {
  const parts = messageParts(message);
  return parts && parseLogEntry(...parts);
}

export function parseLogEntry(place: string, id: string, json: string): LogEntry | undefined {
  return parsePublished(place, id, json) ?? parseLoss(place, id, json);
}

function parseLoss(place: string, id: string, json: string): PlacedLoss | undefined {
  const entry = parsePlaced(place, id, json);
  const { lost: count, namespace } = (entry?.body ?? {}) as { lost?: unknown; namespace?: unknown };
  if (entry && count === 'everywhere') return { place: entry.place, lost: LOST_EVERYWHERE };
  if (!entry || !Number.isSafeInteger(count) || typeof namespace !== 'string') return undefined;
  return { place: entry.place, lost: { namespace, id: entry.id, count: count as number } };
}
