import type { McpServer, RegisteredResource, RegisteredResourceTemplate } from '@modelcontextprotocol/server';
import { MemoryNotFound } from '../common/domain-errors';
import { textProblem } from '../common/request-text';
import { MAX_PAGE_SIZE } from '../memories/memory.dto';
import { toMemoryView } from '../memories/memory.view';
import { requireScope, scopeChallenge } from './mcp-scope';
import { mcpServerSdk } from './mcp-sdk';
import { ToolDeps } from './tools/tool-deps';

// Compact: indentation would grow with the nesting of a memory's metadata, many times its stored size.
const json = (uri: URL, value: unknown) => ({
  contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value) }],
});

/** A resource URI whose parameter is malformed: Invalid Params (-32602), naming the problem. */
const invalidParams = (message: string) =>
  new (mcpServerSdk().ProtocolError)(mcpServerSdk().ProtocolErrorCode.InvalidParams, message);

/**
 * Resources are read like read-only tools: the credential needs the `read` scope (an OAuth token without
 * it is challenged to step up before the read, see mcp-scope.ts).
 */
const readable = async (uri: URL, view: () => Promise<unknown>) => {
  requireScope(uri.href, 'read');
  return json(uri, await view());
};

/** What every `memory://recent/{n}` URI starts with. */
export const RECENT_URI_PREFIX = 'memory://recent/';

/** The n of `memory://recent/{n}` when it is one the resource serves (an integer from 1 to MAX_PAGE_SIZE). */
export function recentCount(n: string): number | undefined {
  const count = Number(n);
  return /^\d+$/.test(n) && count >= 1 && count <= MAX_PAGE_SIZE ? count : undefined;
}

/** Read-only views of the store for clients that browse resources: stats, tags, recent memories, one memory. */
export function registerMemoryResources(server: McpServer, deps: ToolDeps): void {
  const stats = server.registerResource(
    'stats',
    'memory://stats',
    {
      title: 'Memory statistics',
      description: 'Counts, storage and embedding model',
      mimeType: 'application/json',
      scopeChallenge: scopeChallenge('memory://stats', 'read'),
    },
    (uri) => readable(uri, () => deps.status.report()),
  );

  const tags = server.registerResource(
    'tags',
    'memory://tags',
    {
      title: 'Tags',
      description: 'Every tag with the number of memories carrying it',
      mimeType: 'application/json',
      scopeChallenge: scopeChallenge('memory://tags', 'read'),
    },
    (uri) => readable(uri, async () => ({ tags: await deps.memories.tags() })),
  );

  const recent = server.registerResource(
    'recent',
    new (mcpServerSdk().ResourceTemplate)(`${RECENT_URI_PREFIX}{n}`, { list: undefined }),
    {
      title: 'Recent memories',
      description: `The n newest memories (1-${MAX_PAGE_SIZE})`,
      mimeType: 'application/json',
      scopeChallenge: scopeChallenge('memory://recent/{n}', 'read'),
    },
    async (uri, { n }) => {
      requireScope(uri.href, 'read');
      const count = recentCount(String(n));
      if (count === undefined) {
        throw invalidParams(`memory://recent/{n}: n must be an integer from 1 to ${MAX_PAGE_SIZE}`);
      }
      const page = await deps.memories.list({ page: 1, page_size: count, tag_match: 'any', order: 'newest' });
      return json(uri, { memories: page.memories.map(toMemoryView) });
    },
  );

  const memory = server.registerResource(
    'memory',
    new (mcpServerSdk().ResourceTemplate)('memory://{hash}', { list: undefined }),
    {
      title: 'A memory',
      description: 'One memory by its content_hash',
      mimeType: 'application/json',
      scopeChallenge: scopeChallenge('memory://{hash}', 'read'),
    },
    async (uri, { hash }) => {
      requireScope(uri.href, 'read');
      const id = String(hash).toLowerCase();
      const notFound = () => new (mcpServerSdk().ResourceNotFoundError)(uri.href, `No memory ${String(hash)}`);
      if (!/^[0-9a-f]{64}$/.test(id)) throw notFound();
      try {
        return json(uri, toMemoryView(await deps.memories.get(id)));
      } catch (error) {
        throw error instanceof MemoryNotFound ? notFound() : error;
      }
    },
  );
  readCheckedUris(
    server,
    new Map([
      ['memory://stats', stats],
      ['memory://tags', tags],
    ]),
    [recent, memory],
  );
}

/**
 * resources/read as the SDK serves it (a fixed URI, else the first template matching), with the URI held
 * first to the rule of every request string (textProblem). The SDK reads it as a URL, which drops a NUL
 * at either end: over stdio `memory://stats\u0000` read the stats. Over HTTP the body parser refuses
 * it before it gets here.
 */
function readCheckedUris(
  server: McpServer,
  fixed: ReadonlyMap<string, RegisteredResource>,
  templates: readonly RegisteredResourceTemplate[],
): void {
  server.server.setRequestHandler('resources/read', async (request, ctx) => {
    const given = request.params.uri;
    const problem = textProblem(given);
    if (problem) throw invalidParams(`uri ${problem}`);
    let uri: URL;
    try {
      uri = new URL(given);
    } catch {
      throw invalidParams(`Resource URI ${given} is invalid`);
    }
    const resource = fixed.get(uri.href);
    if (resource) return resource.readCallback(uri, ctx);
    for (const template of templates) {
      const variables = template.resourceTemplate.uriTemplate.match(uri.href);
      if (variables) return template.readCallback(uri, variables, ctx);
    }
    throw new (mcpServerSdk().ResourceNotFoundError)(given);
  });
}
