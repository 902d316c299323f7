import { McpCall, mcpCallOf } from './mcp-call';
import { mcpServerSdk } from './mcp-sdk';

/** JSON-RPC's code for parameters a method cannot take. */
export const INVALID_PARAMS = -32602;

/**
 * The spec requests Engram serves whose params the SDK checks only once dispatched, answering a mismatch
 * as -32603 Internal error with a raw schema dump (typescript-sdk#2284): each checked here first, against
 * the SDK's own public schema for it. tools/call is not among them: the SDK answers its bad params as
 * Invalid params itself. initialize exists only in the 2025 era (2026-07-28 has no such method).
 */
const CHECKED_REQUESTS = {
  initialize: 'InitializeRequest',
  'tools/list': 'ListToolsRequest',
  'resources/list': 'ListResourcesRequest',
  'resources/templates/list': 'ListResourceTemplatesRequest',
  'resources/read': 'ReadResourceRequest',
} as const;

/** Problems named in one answer: the first few are enough to fix a request by. */
const LISTED_ISSUES = 5;

interface Issue {
  path?: readonly (PropertyKey | { key: PropertyKey })[];
  message: string;
}

/**
 * What is wrong with the params of one posted JSON-RPC request, or undefined (also for anything that is
 * not a request this module checks): `Invalid params for resources/read: params.uri: Invalid input:
 * expected string, received number`.
 */
export function invalidParamsOf(message: unknown): string | undefined {
  const call = mcpCallOf(message);
  const schemaName = call && checkedSchema(call);
  if (!schemaName) return undefined;
  const outcome = mcpServerSdk().specTypeSchemas[schemaName]['~standard'].validate(message);
  if (outcome instanceof Promise || !outcome.issues) return undefined;
  const problems = outcome.issues.slice(0, LISTED_ISSUES).map(describeIssue);
  return `Invalid params for ${call.method}: ${problems.join('; ')}`;
}

function checkedSchema(call: McpCall) {
  if (call.id === undefined || !Object.hasOwn(CHECKED_REQUESTS, call.method)) return undefined;
  if (call.method === 'initialize' && call.era !== 'legacy') return undefined;
  return CHECKED_REQUESTS[call.method as keyof typeof CHECKED_REQUESTS];
}

function describeIssue(issue: Issue): string {
  const path = (issue.path ?? []).map((key) => String(typeof key === 'object' ? key.key : key)).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** The JSON-RPC answer to a request invalidParamsOf found `problem` in. */
export function invalidParamsAnswer(request: unknown, problem: string) {
  // invalidParamsOf finds problems in requests only, and a request carries an id.
  const id = mcpCallOf(request)!.id!;
  return { jsonrpc: '2.0' as const, id, error: { code: INVALID_PARAMS, message: problem } };
}
