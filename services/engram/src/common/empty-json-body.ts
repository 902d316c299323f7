/** The refusal of an empty body where one is needed. */
export const EMPTY_BODY_MESSAGE = 'Request body is empty; send a JSON object';

/** Requests that came with `Content-Type: application/json` and no bytes (or only whitespace). */
const emptyBodies = new WeakSet<object>();

/** Called by the JSON body parser, which leaves such a request's body undefined. */
export function markEmptyJsonBody(request: object): void {
  emptyBodies.add(request);
}

/**
 * Whether the request's JSON body was empty: nothing to a route that takes no body (many clients send
 * the JSON content type on every POST), a missing body to one that reads it. Only the reader knows which,
 * so each reader refuses it (UnreadBodyGuard for the controllers, the MCP endpoint for /mcp).
 */
export function sentEmptyJsonBody(request: object): boolean {
  return emptyBodies.has(request);
}
