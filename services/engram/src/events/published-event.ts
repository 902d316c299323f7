import { EngramEvent, EventDraft } from './engram-event';

/** An event with its place in the deployment's publish order, which stays between the processes. */
export interface Published {
  place: number;
  event: EngramEvent;
}

/** A message of the relays that carry events between processes: `<place> <id> <draft as JSON>`. */
export function parseMessage(message: string): Published | undefined {
  const parts = messageParts(message);
  return parts && parsePublished(...parts);
}

/** A message's place, id and the JSON after them, as text; undefined when it has fewer parts. */
export function messageParts(message: string): [place: string, id: string, json: string] | undefined {
  const [place, id] = message.split(' ', 2);
  if (id === undefined) return undefined;
  return [place, id, message.slice(place.length + id.length + 2)];
}

/** The message `parseMessage` reads. */
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
