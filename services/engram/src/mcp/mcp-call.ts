import type { McpEra } from './mcp-catalog';

/** What one JSON-RPC message posted to /mcp asks for, as far as routing, metrics and logs care. */
export interface McpCall {
  era: McpEra;
  method: string;
  /** Present for requests (a notification has none). */
  id?: string | number;
  /** The tool or prompt name, or the resource URI: what the 2026-07-28 `Mcp-Name` header carries. */
  name?: string;
  params: Record<string, unknown>;
}

const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';

/**
 * Reads a posted body without trusting it: undefined for anything that is not one JSON-RPC message
 * (batches, responses, garbage), which the SDK then answers. A message carrying the per-request
 * protocol version in `_meta` is a 2026-07-28 one; any other is 2025-era.
 */
export function mcpCallOf(body: unknown): McpCall | undefined {
  if (!isRecord(body) || typeof body.method !== 'string') return undefined;
  const params = isRecord(body.params) ? body.params : {};
  const meta = isRecord(params._meta) ? params._meta : {};
  const id = typeof body.id === 'string' || typeof body.id === 'number' ? body.id : undefined;
  const name = typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
  return {
    era: typeof meta[PROTOCOL_VERSION_KEY] === 'string' ? 'modern' : 'legacy',
    method: body.method,
    ...(id !== undefined && { id }),
    ...(name !== undefined && { name }),
    params,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON-RPC id as a map key: the number 1 and the string "1" are different requests. */
export function requestIdKey(id: string | number): string {
  return JSON.stringify(id);
}
