import { z } from 'zod';
import { InvalidInput } from '../../common/domain-errors';
import {
  ContentHashParam,
  INCLUDE_SUPERSEDED_DESCRIPTION,
  ListCursorInput,
  MAX_PAGE_SIZE,
  MemoryTypeInput,
  MetadataInput,
  PAGE_TOTAL_DESCRIPTION,
  PageNumberInput,
  StoreMemoryBody,
  StoreMemoryInput,
  TimeFilterFields,
  UpdateMemoryBody,
  UpdateMemoryInput,
  WritableMemoryType,
} from '../../memories/memory.dto';
import { TagsInput } from '../../common/request-fields';
import { MAX_FILTER_DELETE, StoreOutcome } from '../../memories/memory.service';
import { OVERLAP_MESSAGE, overlapBelowWindow, STORE_SESSION_FIELDS } from '../../memories/session.dto';
import { toMemoryPageView, toMemoryView, toPossibleConflictsView } from '../../memories/memory.view';
import { QualityRankingFields } from '../../quality/quality.dto';
import { toHitView } from '../../search/search-hit.view';
import { SearchQualityFields } from '../../search/search.dto';
import { defineTool, McpTool } from '../mcp-tool';
import { ToolDeps } from './tool-deps';
import {
  MemoryOutput,
  PossibleConflictOutput,
  previewOf,
  RerankStatusOutput,
  QueryInput,
  ResultLimit,
  SearchModeInput,
  SearchResultOutput,
} from './tool-schemas';
import { counted } from '../../common/counted';

const HashInput = ContentHashParam.describe('The memory id: its content_hash (64 hexadecimal characters)');
const IncludeSuperseded = z.boolean().default(false).describe(INCLUDE_SUPERSEDED_DESCRIPTION);
const TagMatch = z.enum(['any', 'all']).default('any').describe('any (default): one tag suffices; all: every tag');
const Query = QueryInput.describe('What to look for, in natural language');

/** Selection filters shared by list and delete. */
const SelectionFields = {
  tags: TagsInput.optional(),
  tag_match: TagMatch,
  memory_type: MemoryTypeInput.optional(),
  ...TimeFilterFields,
};

export const StoreInputFields = {
  ...StoreMemoryBody.shape,
  metadata: MetadataInput.optional().describe(
    'Free-form JSON object; `metadata.tags` and `metadata.type` are accepted as tags and memory_type',
  ),
};

export const StoreOutput = z.object({
  success: z.boolean(),
  created: z.boolean().describe('false: the same content was already stored; nothing was added'),
  message: z.string(),
  content_hash: z.string(),
  memory: MemoryOutput,
  possible_conflicts: z
    .array(PossibleConflictOutput)
    .optional()
    .describe('With ENGRAM_CONFLICTS_ON_WRITE=suggest: stored memories this one may contradict (see memory_conflicts)'),
});

/**
 * MCP Memory Service's unified `memory_store` carries tags and type inside `metadata`; they are lifted
 * out (merged with top-level `tags`) so the stored metadata holds only the caller's own fields.
 */
export function liftTagsAndType(args: StoreMemoryInput): StoreMemoryInput {
  const { tags: metaTags, type: metaType, ...metadata } = args.metadata ?? {};
  let tags = args.tags;
  if (metaTags !== undefined) {
    const parsed = TagsInput.safeParse(metaTags);
    if (!parsed.success) throw new InvalidInput(`metadata.tags: ${parsed.error.issues[0].message}`);
    tags = [...new Set([...(tags ?? []), ...parsed.data])].sort();
  }
  let memoryType = args.memory_type;
  if (memoryType === undefined && metaType !== undefined) {
    const parsed = WritableMemoryType.safeParse(metaType);
    if (!parsed.success) throw new InvalidInput(`metadata.type: ${parsed.error.issues[0].message}`);
    memoryType = parsed.data;
  }
  return { ...args, tags, memory_type: memoryType, metadata: args.metadata === undefined ? undefined : metadata };
}

export async function storeAnswer(deps: ToolDeps, input: StoreMemoryInput) {
  const [outcome] = await deps.memories.storeMany([liftTagsAndType(input)]);
  return storeAnswerOf(deps, outcome);
}

async function storeAnswerOf(deps: ToolDeps, { memory, created }: StoreOutcome) {
  const message = created ? 'Memory stored' : 'Already stored: a memory with the same content exists';
  const conflicts = toPossibleConflictsView(created ? await deps.memories.possibleConflicts(memory) : undefined);
  return {
    structured: {
      success: true,
      created,
      message,
      content_hash: memory.contentHash,
      memory: toMemoryView(memory),
      ...conflicts,
    },
    text: `${message} (content_hash ${memory.contentHash})${
      conflicts.possible_conflicts?.length
        ? `; ${counted(conflicts.possible_conflicts.length, 'possible conflict', 'possible conflicts')}`
        : ''
    }`,
  };
}

export function memoryTools(deps: ToolDeps): McpTool[] {
  return [
    defineTool({
      name: 'memory_store',
      title: 'Store a memory',
      description:
        'Remember a piece of information (a fact, decision, preference, note) with optional tags, type and metadata. ' +
        'Storing the same content twice returns the existing memory instead of a copy.',
      effect: 'write',
      idempotent: true,
      input: z.object(StoreInputFields),
      output: StoreOutput,
      run: (args) => storeAnswer(deps, args),
    }),

    defineTool({
      name: 'memory_search',
      title: 'Search memories',
      description:
        'Find memories by meaning and words (hybrid by default), optionally limited by tags, type and time ' +
        '(time_expr such as "last week", or after/before). Results carry scores, best first; the score is the ' +
        "probability that a memory is relevant, and results below the server's floor (min_score) are left out.",
      effect: 'read',
      idempotent: true,
      input: z.object({
        query: Query,
        mode: SearchModeInput,
        tags: TagsInput.optional(),
        tag_match: TagMatch,
        memory_type: MemoryTypeInput.optional(),
        ...TimeFilterFields,
        limit: ResultLimit.default(10).describe('Results to return, 1-100 (default 10)'),
        similarity_threshold: z.number().min(-1).max(1).optional().describe('Drop results less similar than this'),
        ...SearchQualityFields,
        ...QualityRankingFields,
        include_superseded: IncludeSuperseded,
        max_response_chars: z
          .number()
          .int()
          .min(1)
          .max(10_000_000)
          .optional()
          .describe('Keep whole results, best first, while their contents total at most this; the best is always kept'),
        fallback: z
          .boolean()
          .optional()
          .describe(
            "MCP Memory Service's keyword retry; hybrid search already adds keyword matches, so it changes nothing",
          ),
      }),
      output: z.object({
        results: z.array(SearchResultOutput),
        total_found: z.number(),
        below_floor: z
          .number()
          .describe('Results within the limit left out for scoring below min_score (or similarity_threshold)'),
        truncated: z.boolean().optional().describe('Results were left out to stay within max_response_chars'),
        query: z.string(),
        search_type: z.string(),
        rerank: RerankStatusOutput,
        processing_time_ms: z.number(),
      }),
      async run({ max_response_chars, fallback: _keywordRetry, ...args }) {
        const minScore = args.min_score ?? deps.config.search.minScore;
        const outcome = await deps.search.hybridSearch({ ...args, min_score: minScore });
        const hits = withinChars(outcome.hits, max_response_chars);
        const truncated = hits.length < outcome.hits.length;
        const lines = hits.map(
          (hit, i) =>
            `${i + 1}. [${hit.score.toFixed(3)}] ${previewOf(hit.memory.content)} (${hit.memory.contentHash})`,
        );
        const found = `${counted(outcome.hits.length, 'memory', 'memories')} found${truncated ? `, ${hits.length} within max_response_chars` : ''}`;
        return {
          structured: {
            results: hits.map(toHitView),
            total_found: outcome.hits.length,
            below_floor: outcome.belowFloor,
            ...(truncated ? { truncated } : {}),
            query: args.query,
            search_type: outcome.mode,
            rerank: outcome.rerank,
            processing_time_ms: Math.round(outcome.elapsedMs * 100) / 100,
          },
          text: [found + belowFloorNote(outcome.belowFloor, minScore, args.similarity_threshold), ...lines].join('\n'),
        };
      },
    }),

    defineTool({
      name: 'memory_list',
      title: 'List memories',
      description:
        'Browse memories newest first, a page at a time, optionally filtered by tags, type and time. To walk a ' +
        "long list, pass each answer's next_cursor as cursor (with the same filters and order) instead of a page.",
      effect: 'read',
      idempotent: true,
      input: z.object({
        page: PageNumberInput.optional(),
        cursor: ListCursorInput.optional(),
        page_size: z.number().int().min(1).max(MAX_PAGE_SIZE).default(20).describe('Memories per page'),
        ...SelectionFields,
        order: z.enum(['newest', 'oldest']).default('newest').describe('By creation time'),
        include_superseded: IncludeSuperseded,
      }),
      output: z.object({
        memories: z.array(MemoryOutput),
        total: z.number().nullable().describe(PAGE_TOTAL_DESCRIPTION),
        page: z.number().nullable().describe('The page number; null for a page reached by cursor'),
        page_size: z.number(),
        has_more: z.boolean(),
        total_pages: z.number().nullable(),
        next_cursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
      }),
      async run(args) {
        const page = await deps.memories.list(args);
        const where = page.page === null ? 'After the cursor' : `Page ${page.page} of ${page.totalPages}`;
        const shown =
          page.total === null
            ? counted(page.memories.length, 'memory', 'memories')
            : `${page.memories.length} of ${counted(page.total, 'memory', 'memories')}`;
        return {
          structured: toMemoryPageView(page),
          text: `${where}: ${shown}${page.nextCursor ? `; next_cursor ${page.nextCursor}` : ''}`,
        };
      },
    }),

    defineTool({
      name: 'memory_get',
      title: 'Get a memory',
      description: 'Read one memory by its content_hash.',
      effect: 'read',
      idempotent: true,
      input: z.object({ content_hash: HashInput }),
      output: z.object({ memory: MemoryOutput }),
      async run({ content_hash }) {
        const memory = await deps.memories.read(content_hash);
        return { structured: { memory: toMemoryView(memory) }, text: memory.content };
      },
    }),

    defineTool({
      name: 'memory_update',
      title: 'Update a memory',
      description:
        'Change a memory: new content (re-embedded; the content_hash changes), tags, memory_type or metadata ' +
        '(tags and metadata are replaced). Give the changes at top level or inside `updates`. With versioned: ' +
        'true the new content becomes a new memory that supersedes this one (kept as history, as memory_supersede).',
      effect: 'write',
      idempotent: true,
      input: z.object({
        content_hash: HashInput,
        ...UpdateMemoryBody.shape,
        updates: z
          .object(UpdateMemoryBody.shape)
          .optional()
          .describe('MCP Memory Service style: {tags, memory_type, metadata}'),
        versioned: z
          .boolean()
          .default(false)
          .describe('true: keep the old version as history; the new content supersedes it (content required)'),
        preserve_timestamps: z
          .literal(true, "preserve_timestamps can only be true: a memory's creation time never changes")
          .optional()
          .describe("MCP Memory Service's flag; Engram always keeps the creation time"),
      }),
      output: z.object({
        success: z.boolean(),
        previous_content_hash: z.string(),
        content_hash: z.string(),
        memory: MemoryOutput,
        superseded: MemoryOutput.optional().describe('With versioned: the old version, now superseded'),
      }),
      async run({ content_hash, updates, versioned, preserve_timestamps: _kept, ...topLevel }) {
        const changes: UpdateMemoryInput = Object.fromEntries(
          Object.entries({ ...updates, ...topLevel }).filter(([, value]) => value !== undefined),
        );
        if (Object.keys(changes).length === 0) {
          throw new InvalidInput('give at least one of content, tags, memory_type, metadata');
        }
        if (versioned) return versionedUpdate(deps, content_hash, changes);
        const memory = await deps.memories.update(content_hash, changes);
        return {
          structured: {
            success: true,
            previous_content_hash: content_hash,
            content_hash: memory.contentHash,
            memory: toMemoryView(memory),
          },
          text: `Memory updated (content_hash ${memory.contentHash})`,
        };
      },
    }),

    defineTool({
      name: 'memory_delete',
      title: 'Delete memories',
      description:
        'Delete one memory by content_hash, or every memory matching filters (tags, tag_match, memory_type, ' +
        'time_expr, after, before). Filter deletes must say dry_run: true to preview, or false to delete; ' +
        `at most ${MAX_FILTER_DELETE} go per call. A call with neither a hash nor a filter is refused.`,
      effect: 'destructive',
      idempotent: true,
      input: z.object({
        content_hash: HashInput.optional(),
        ...SelectionFields,
        dry_run: z.boolean().optional().describe('true: only report what would be deleted'),
      }),
      output: z.object({
        dry_run: z.boolean(),
        matched: z.number().describe('Memories the hash or filter selects'),
        deleted: z.number(),
        content_hashes: z.array(z.string()).describe('Deleted (or, in a dry run, to be deleted), up to 100 shown'),
        remaining: z.number().describe('Selected memories left for another call'),
      }),
      async run({ content_hash, dry_run, ...selection }) {
        const filtered = hasFilter(selection);
        if (content_hash !== undefined) {
          if (filtered) throw new InvalidInput('give content_hash or filters, not both');
          const dryRun = dry_run ?? false;
          const memory = dryRun
            ? await deps.memories.get(content_hash)
            : await deps.memories.delete(content_hash, false);
          return {
            structured: {
              dry_run: dryRun,
              matched: 1,
              deleted: dryRun ? 0 : 1,
              content_hashes: [memory.contentHash],
              remaining: 0,
            },
            text: dryRun ? `Would delete ${memory.contentHash}` : `Deleted ${memory.contentHash}`,
          };
        }
        if (!filtered) {
          throw new InvalidInput(
            'memory_delete needs content_hash or at least one filter (tags, memory_type, time_expr, after, before)',
          );
        }
        if (dry_run === undefined) {
          throw new InvalidInput('dry_run is required with filters: true to preview, false to delete');
        }
        const outcome = await deps.memories.deleteMatching(selection, dry_run);
        const count = outcome.selected.length;
        return {
          structured: {
            dry_run,
            matched: outcome.matched,
            deleted: dry_run ? 0 : count,
            content_hashes: outcome.selected.slice(0, 100),
            remaining: dry_run ? outcome.matched : outcome.remaining,
          },
          text: dry_run
            ? `Would delete ${count} of ${counted(outcome.matched, 'matching memory', 'matching memories')}`
            : `Deleted ${counted(count, 'memory', 'memories')}; ${counted(outcome.remaining, 'matching remains', 'matching remain')}`,
        };
      },
    }),

    defineTool({
      name: 'memory_restore',
      title: 'Restore a deleted memory',
      description:
        'Bring a soft-deleted memory back from the trash by its content_hash (as memory_delete reported it). ' +
        'Refused, naming the live memory, when the same content has been stored again since.',
      effect: 'write',
      idempotent: true,
      input: z.object({ content_hash: HashInput }),
      output: z.object({ success: z.boolean(), content_hash: z.string(), memory: MemoryOutput }),
      async run({ content_hash }) {
        const memory = await deps.memories.restore(content_hash);
        return {
          structured: { success: true, content_hash: memory.contentHash, memory: toMemoryView(memory) },
          text: `Restored ${memory.contentHash}`,
        };
      },
    }),

    defineTool({
      name: 'memory_store_session',
      title: 'Store a conversation session',
      description:
        'Store the turns of a conversation as one memory of type "session" (each turn a "[role] content" line; ' +
        'session_id adds the tag session:<id>), plus, when it is longer than `window` turns, overlapping chunks ' +
        'of type session_chunk that point back to it (metadata.session_hash), so one part of a long conversation ' +
        'can be found. Same as POST /api/sessions.',
      effect: 'write',
      idempotent: true,
      input: z.object(STORE_SESSION_FIELDS).refine(overlapBelowWindow, OVERLAP_MESSAGE),
      output: StoreOutput.extend({
        chunk_hashes: z.array(z.string()).describe('The session_chunk memories, in turn order'),
      }),
      async run(args) {
        const { session, chunks } = await deps.sessions.storeSession(args);
        const answer = await storeAnswerOf(deps, session);
        return {
          structured: { ...answer.structured, chunk_hashes: chunks.map((chunk) => chunk.memory.contentHash) },
          text: `${answer.text}; ${counted(chunks.length, 'chunk', 'chunks')}`,
        };
      },
    }),
  ];
}

/** `memory_update` with `versioned: true`: the changes become a new memory superseding the old one. */
async function versionedUpdate(deps: ToolDeps, hash: string, changes: UpdateMemoryInput) {
  if (changes.content === undefined) {
    throw new InvalidInput('versioned: true needs new content (the new version is a new memory)');
  }
  const { previous, current } = await deps.memories.supersede(hash, { ...changes, content: changes.content });
  return {
    structured: {
      success: true,
      previous_content_hash: previous.contentHash,
      content_hash: current.contentHash,
      memory: toMemoryView(current),
      superseded: toMemoryView(previous),
    },
    text: `Memory ${previous.contentHash} superseded by the new version ${current.contentHash}`,
  };
}

function hasFilter(selection: {
  tags?: string[];
  memory_type?: string;
  time_expr?: string;
  after?: number;
  before?: number;
}) {
  return (
    (selection.tags?.length ?? 0) > 0 ||
    selection.memory_type !== undefined ||
    !!selection.time_expr?.trim() ||
    selection.after !== undefined ||
    selection.before !== undefined
  );
}

/**
 * MCP Memory Service's `max_response_chars`: whole results, best first, while their contents total at
 * most `limit` characters (never a memory cut in half); the best one is kept whatever its length.
 */
export function withinChars<Hit extends { memory: { content: string } }>(hits: readonly Hit[], limit?: number): Hit[] {
  if (limit === undefined) return [...hits];
  let total = 0;
  const kept: Hit[] = [];
  for (const hit of hits) {
    total += hit.memory.content.length;
    if (kept.length > 0 && total > limit) break;
    kept.push(hit);
  }
  return kept;
}

/** Says how many results the floors left out and how to see them, so "0 memories found" is never a dead end. */
function belowFloorNote(count: number, minScore: number | undefined, similarityThreshold: number | undefined): string {
  if (count === 0) return '';
  const floors: string[] = [];
  if (minScore) floors.push(`min_score ${minScore} (pass min_score 0 to include them)`);
  if (similarityThreshold !== undefined) floors.push(`similarity_threshold ${similarityThreshold}`);
  return `; ${count} more below ${floors.join(' or ')}`;
}
