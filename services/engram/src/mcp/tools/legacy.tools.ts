import { z } from 'zod';
import { ContentHashParam, MemoryTypeInput } from '../../memories/memory.dto';
import { TagsInput } from '../../common/request-fields';
import { toMemoryView } from '../../memories/memory.view';
import { extractTimeExpression } from '../../time/time-expression';
import { MemoryRecord } from '../../storage/memory.record';
import { defineTool, McpTool } from '../mcp-tool';
import { storeAnswer, StoreInputFields } from './memory.tools';
import { HealthOutput } from './status.tools';
import { ToolDeps } from './tool-deps';
import { MemoryOutput, QueryInput, ResultLimit } from './tool-schemas';
import { counted } from '../../common/counted';

/**
 * The tool names MCP Memory Service clients still call, on the same code as the unified tools. Their
 * parameters are the union of every historical spelling (n_results or limit; match_all or operation),
 * and their results keep the old shapes those clients parse.
 */

const LegacyResult = z.object({
  content: z.string(),
  content_hash: z.string(),
  tags: z.array(z.string()),
  memory_type: z.string(),
  similarity_score: z.number().nullable(),
  created_at: z.number(),
  created_at_iso: z.string(),
});
const LegacyResults = z.object({ results: z.array(LegacyResult), total_found: z.number() });

function legacyResult(memory: MemoryRecord, similarity: number | null = null): z.input<typeof LegacyResult> {
  const view = toMemoryView(memory);
  return {
    content: view.content,
    content_hash: view.content_hash,
    tags: view.tags,
    memory_type: view.memory_type,
    similarity_score: similarity,
    created_at: view.created_at,
    created_at_iso: view.created_at_iso,
  };
}

function resultsAnswer(results: z.input<typeof LegacyResult>[]) {
  return {
    structured: { results, total_found: results.length },
    text: [
      `${counted(results.length, 'memory', 'memories')} found`,
      ...results.map((r, i) => `${i + 1}. ${r.content}`),
    ].join('\n'),
  };
}

const deprecated = (replacement: string, text: string) => `Deprecated: use ${replacement}. ${text}`;
const nResults = (fallback: number) => ResultLimit.optional().describe(`Results to return (default ${fallback})`);

export function legacyTools(deps: ToolDeps): McpTool[] {
  return [
    defineTool({
      name: 'store_memory',
      title: 'Store a memory (legacy)',
      description: deprecated('memory_store', 'Store content with tags, memory_type and metadata.'),
      effect: 'write',
      idempotent: true,
      legacy: true,
      input: z.object(StoreInputFields),
      output: z.object({ success: z.boolean(), message: z.string(), content_hash: z.string() }),
      async run(args) {
        const { structured, text } = await storeAnswer(deps, args);
        return {
          structured: { success: true, message: structured.message, content_hash: structured.content_hash },
          text,
        };
      },
    }),

    defineTool({
      name: 'retrieve_memory',
      title: 'Retrieve memories (legacy)',
      description: deprecated('memory_search', 'Memories closest to the query (hybrid ranking).'),
      effect: 'read',
      idempotent: true,
      legacy: true,
      input: z.object({
        query: QueryInput,
        n_results: nResults(5),
        limit: ResultLimit.optional().describe('Alias of n_results'),
        similarity_threshold: z.number().min(-1).max(1).optional(),
      }),
      output: LegacyResults,
      async run({ query, n_results, limit, similarity_threshold }) {
        const outcome = await deps.search.hybridSearch({
          query,
          mode: 'hybrid',
          limit: n_results ?? limit ?? 5,
          tag_match: 'any',
          similarity_threshold,
        });
        return resultsAnswer(outcome.hits.map((hit) => legacyResult(hit.memory, hit.similarity)));
      },
    }),

    defineTool({
      name: 'recall_memory',
      title: 'Recall memories by time (legacy)',
      description: deprecated(
        'memory_search with time_expr',
        'A query mixing a time phrase and a topic, e.g. "what did we decide about the API last week".',
      ),
      effect: 'read',
      idempotent: true,
      legacy: true,
      input: z.object({
        query: QueryInput,
        n_results: nResults(5),
        limit: ResultLimit.optional().describe('Alias of n_results'),
      }),
      output: LegacyResults,
      async run({ query, n_results, limit }) {
        const count = n_results ?? limit ?? 5;
        const { range, rest } = extractTimeExpression(query, new Date(), deps.config.search.timeZone);
        const bounds = { after: range?.startMs, before: range?.endMs };
        if (rest.trim() === '') {
          const page = await deps.memories.list({
            page: 1,
            page_size: count,
            tag_match: 'any',
            order: 'newest',
            ...bounds,
          });
          return resultsAnswer(page.memories.map((memory) => legacyResult(memory)));
        }
        const outcome = await deps.search.hybridSearch({
          query: rest,
          mode: 'hybrid',
          limit: count,
          tag_match: 'any',
          ...bounds,
        });
        return resultsAnswer(outcome.hits.map((hit) => legacyResult(hit.memory, hit.similarity)));
      },
    }),

    defineTool({
      name: 'search_by_tag',
      title: 'Search memories by tag (legacy)',
      description: deprecated(
        'memory_search or memory_list with tags',
        'Memories carrying the tags, newest first. Any tag matches unless match_all is true or operation is AND.',
      ),
      effect: 'read',
      idempotent: true,
      legacy: true,
      input: z.object({
        tags: TagsInput.refine((tags) => tags.length > 0, 'give at least one tag'),
        match_all: z.boolean().optional(),
        operation: z
          .string()
          .transform((operation) => operation.toUpperCase())
          .pipe(z.enum(['AND', 'OR']))
          .optional()
          .describe('AND (every tag) or OR (any tag)'),
        limit: ResultLimit.optional(),
        n_results: ResultLimit.optional(),
      }),
      output: LegacyResults,
      async run({ tags, match_all, operation, limit, n_results }) {
        const all = match_all ?? operation === 'AND';
        const memories = await deps.search.searchByTag({
          tags,
          tagMatch: all ? 'all' : 'any',
          limit: limit ?? n_results ?? 10,
        });
        return resultsAnswer(memories.map((memory) => legacyResult(memory)));
      },
    }),

    defineTool({
      name: 'delete_memory',
      title: 'Delete a memory (legacy)',
      description: deprecated('memory_delete', 'Delete one memory by content_hash.'),
      effect: 'destructive',
      idempotent: true,
      legacy: true,
      input: z.object({ content_hash: ContentHashParam.describe('The memory id (64 hexadecimal characters)') }),
      output: z.object({ success: z.boolean(), message: z.string() }),
      async run({ content_hash }) {
        await deps.memories.delete(content_hash, false);
        const message = `Deleted memory ${content_hash}`;
        return { structured: { success: true, message }, text: message };
      },
    }),

    defineTool({
      name: 'list_memories',
      title: 'List memories (legacy)',
      description: deprecated('memory_list', 'Memories newest first, a page at a time.'),
      effect: 'read',
      idempotent: true,
      legacy: true,
      input: z.object({
        page: z.number().int().min(1).max(1_000_000).default(1),
        page_size: ResultLimit.default(10),
        tag: TagsInput.optional().describe('A tag, or comma-separated tags (any matches)'),
        memory_type: MemoryTypeInput.optional(),
      }),
      output: z.object({
        memories: z.array(MemoryOutput),
        page: z.number(),
        page_size: z.number(),
        total_found: z.number(),
      }),
      async run({ page, page_size, tag, memory_type }) {
        const result = await deps.memories.list({
          page,
          page_size,
          tags: tag,
          tag_match: 'any',
          memory_type,
          order: 'newest',
        });
        return {
          structured: {
            memories: result.memories.map(toMemoryView),
            page: result.page,
            page_size: result.pageSize,
            total_found: result.total,
          },
          text: `Page ${result.page}: ${result.memories.length} of ${counted(result.total, 'memory', 'memories')}`,
        };
      },
    }),

    defineTool({
      name: 'check_database_health',
      title: 'Check database health (legacy)',
      description: deprecated('memory_health', 'Health and statistics of the memory database.'),
      effect: 'read',
      idempotent: true,
      legacy: true,
      input: z.object({}),
      output: HealthOutput.pick({ status: true, statistics: true }),
      async run() {
        const { status, statistics } = await deps.status.report();
        return {
          structured: { status, statistics },
          text: `${status}: ${counted(statistics.total_memories, 'memory', 'memories')}`,
        };
      },
    }),
  ];
}
