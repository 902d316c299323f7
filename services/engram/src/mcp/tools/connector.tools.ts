import { z } from 'zod';
import { MemoryNotFound } from '../../common/domain-errors';
import { defineJsonTextTool, McpJsonTextTool } from '../mcp-tool';
import { ToolDeps } from './tool-deps';
import { previewOf, QueryInput, titleOf } from './tool-schemas';

/** Results `search` returns: deep research reads them all, then fetches the promising ones. */
const CONNECTOR_RESULTS = 10;
const SNIPPET_LENGTH = 300;

/**
 * `search` and `fetch` as ChatGPT connectors and deep research call them. Unlike every other tool they
 * answer with exactly one text item holding a JSON document and no structuredContent: that is the
 * contract ChatGPT parses, and an extra content item or an output schema can make it drop the result.
 */
export function connectorTools(deps: ToolDeps): McpJsonTextTool[] {
  const urlOf = (hash: string) => `${deps.config.publicUrl}/#/memory/${hash}`;
  return [
    defineJsonTextTool({
      name: 'search',
      title: 'Search memories',
      description:
        'Search the memory store. Returns {"results":[{"id","title","url","text"}]}; pass an id to fetch for the full text.',
      input: z.object({
        query: QueryInput,
      }),
      async run({ query }) {
        const outcome = await deps.search.hybridSearch({
          query,
          mode: 'hybrid',
          limit: CONNECTOR_RESULTS,
          tag_match: 'any',
          min_score: deps.config.search.minScore,
        });
        return {
          results: outcome.hits.map(({ memory }) => ({
            id: memory.contentHash,
            title: titleOf(memory.content),
            url: urlOf(memory.contentHash),
            text: previewOf(memory.content, SNIPPET_LENGTH),
          })),
        };
      },
    }),

    defineJsonTextTool({
      name: 'fetch',
      title: 'Fetch a memory',
      description:
        'The full text of one memory by the id search returned: {"id","title","text","url","metadata"}. ' +
        'An id whose memory was superseded answers the current version (metadata.requested_id names the old one).',
      input: z.object({ id: z.string().min(1, 'id must not be empty').max(200) }),
      async run({ id }) {
        const hash = id.trim().toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(hash)) throw new MemoryNotFound(id);
        const memory = await deps.memories.currentVersion(hash);
        const replaced = memory.contentHash === hash ? {} : { requested_id: hash, superseded: true };
        return {
          id: memory.contentHash,
          title: titleOf(memory.content),
          text: memory.content,
          url: urlOf(memory.contentHash),
          metadata: {
            ...memory.metadata,
            tags: memory.tags,
            memory_type: memory.memoryType,
            created_at: new Date(memory.createdAt).toISOString(),
            updated_at: new Date(memory.updatedAt).toISOString(),
            ...replaced,
          },
        };
      },
    }),
  ];
}
