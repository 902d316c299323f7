import { mcpCallOf } from './mcp-call';

/** The last protocol revision with JSON-RPC batches: 2025-06-18 removed them. */
const LAST_BATCH_REVISION = '2025-03-26';
/** The first protocol revision whose requests carry their own `_meta` envelope, each in a POST of its own. */
const FIRST_MODERN_REVISION = '2026-07-28';

const BATCH_AFTER_ITS_REVISION =
  'a JSON-RPC batch (protocol revision 2025-03-26 and earlier: from 2025-06-18 on, each request is a POST of its ' +
  'own) was sent with the MCP-Protocol-Version header of a later revision';

/**
 * The JSON-RPC error for a batch posted with an MCP-Protocol-Version header naming a revision without batches
 * (2025-06-18 or later): the header and the body belong to different revisions. A header naming 2026-07-28 or
 * later is answered as the SDK answers the same mismatch on an `initialize` (-32020, both named); an earlier
 * one as an Invalid Request (-32600), the code of its own revision. Left to the SDK, such a batch reached the
 * 2025-era transport, which checks the header names a revision it speaks but not that the revision has
 * batches: it served one sent with 2025-06-18 or 2025-11-25, and called 2026-07-28 an unsupported version.
 * Without the header a batch is a 2025-03-26 client's, served as before. An empty batch, or one holding a
 * 2026-07-28 request, is the SDK's to refuse.
 */
export function batchEraMismatch(body: unknown, headerVersion: string | string[] | undefined) {
  if (!Array.isArray(body) || typeof headerVersion !== 'string') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(headerVersion) || headerVersion <= LAST_BATCH_REVISION) return undefined;
  if (body.length === 0 || body.some((message) => mcpCallOf(message)?.era === 'modern')) return undefined;
  const modern = headerVersion >= FIRST_MODERN_REVISION;
  return {
    code: modern ? -32020 : -32600,
    message: `${modern ? 'Bad Request' : 'Invalid Request'}: the request headers and body disagree: ${BATCH_AFTER_ITS_REVISION}`,
    data: { mismatch: { header: headerVersion, body: BATCH_AFTER_ITS_REVISION } },
  };
}
