import { mcpCallOf } from './mcp-call';

/** The first protocol revision whose requests carry their own `_meta` envelope, each in a POST of its own. */
const FIRST_MODERN_REVISION = '2026-07-28';

const BATCH_WITH_MODERN_HEADER =
  'a JSON-RPC batch (2025-era: from 2026-07-28 on, each request is a POST of its own) was sent with a modern ' +
  'MCP-Protocol-Version header';

/**
 * The JSON-RPC error for a batch of 2025-era messages posted with an MCP-Protocol-Version header naming
 * 2026-07-28 or later: the header and the body belong to different eras. Answered as the SDK answers the same
 * mismatch on an `initialize` (HTTP 400, -32020, both named); left to the SDK, such a batch reached the
 * 2025-era transport, which called 2026-07-28 an unsupported version and listed only the 2025-era ones. An
 * empty batch, or one holding a 2026-07-28 request or something that is no request, is the SDK's to refuse.
 */
export function batchEraMismatch(body: unknown, headerVersion: string | string[] | undefined) {
  if (!Array.isArray(body) || typeof headerVersion !== 'string') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(headerVersion) || headerVersion < FIRST_MODERN_REVISION) return undefined;
  if (body.length === 0 || !body.every((message) => mcpCallOf(message)?.era === 'legacy')) return undefined;
  return {
    code: -32020,
    message: `Bad Request: the request headers and body disagree: ${BATCH_WITH_MODERN_HEADER}`,
    data: { mismatch: { header: headerVersion, body: BATCH_WITH_MODERN_HEADER } },
  };
}
