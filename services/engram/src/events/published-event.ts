import { EngramEvent, EventDraft } from './engram-event';

/** An event with its place in the deployment's publish order, which stays between the processes. */
export interface Published {
  place: number;
  event: EngramEvent;
}

/** A message of the relays that carry events between processes: `<place> <id> <draft as JSON>`. */
export function parseMessage(message: string): Published | undefined {
  const [place, id] = message.split(' ', 2);
  if (id === undefined) return undefined;
  return parsePublished(place, id, message.slice(place.length + id.length + 2));
}

/** The message `parseMessage` reads. */
export function publishedMessage(place: number, id: number, draftJson: string): string {
  return `${place} ${id} ${draftJson}`;
}

export function parsePublished(place: string, id: string, json: string): Published | undefined {
  if (!/^\d{1,16}$/.test(place) || !/^\d{1,16}$/.test(id)) return undefined;
  try {
    const draft = JSON.parse(json) as EventDraft;
    return typeof draft.type === 'string' ? { place: Number(place), event: { id: Number(id), ...draft } } : undefined;
  } catch {
    return undefined;
  }
}
