import { EngramEvent } from './engram-event';

/**
 * Which SSE frames a client receives per event. Browsers hand a frame with an `event:` line only to
 * `addEventListener(<name>)` and a frame without one only to `onmessage`, so by default each event is
 * written both ways (same id, same data): code written either way receives every event exactly once.
 * `named` or `message` halves the traffic for clients that know which they use.
 */
export const FRAME_STYLES = ['both', 'named', 'message'] as const;
export type FrameStyle = (typeof FRAME_STYLES)[number];

/** Milliseconds EventSource waits before reconnecting. */
export const RETRY_MS = 2000;

export const OPENING_FRAME = `retry: ${RETRY_MS}\n: engram event stream\n\n`;
export const HEARTBEAT_FRAME = ': heartbeat\n\n';

/**
 * The frames of one event; `data` is the whole event, its type included, as one JSON line. The `id:` line
 * is where the stream stands after it (see StreamCursor): the event's id for a stream of one namespace.
 */
export function eventFrames(event: EngramEvent, style: FrameStyle, streamId = String(event.id)): string {
  return messageFrames(streamId, event.type, JSON.stringify(event), style);
}

/** A stream notice (not a change): e.g. `replay_incomplete` when missed events left the ring. */
export function noticeFrames(type: string, data: Record<string, unknown>, style: FrameStyle): string {
  return messageFrames(undefined, type, JSON.stringify({ type, ...data }), style);
}

function messageFrames(id: string | undefined, name: string, json: string, style: FrameStyle): string {
  // JSON.stringify escapes CR and LF, so the data is one line and cannot end the frame early.
  const head = id === undefined ? '' : `id: ${id}\n`;
  const unnamed = `${head}data: ${json}\n\n`;
  const named = `${head}event: ${name}\ndata: ${json}\n\n`;
  if (style === 'named') return named;
  if (style === 'message') return unnamed;
  return unnamed + named;
}
