import { z } from 'zod';
import { counted } from '../common/counted';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { ListMemoriesQuery, MAX_PAGE_SIZE, MIN_HASH_PREFIX, StoreMemoryBody } from '../memories/memory.dto';
import { MemoryService } from '../memories/memory.service';
import { toMemoryPageView, toMemoryView } from '../memories/memory.view';
import { toHitView } from '../search/search-hit.view';
import { SearchBody } from '../search/search.dto';
import { SearchService } from '../search/search.service';
import { decimalFlag, integerFlag, ParsedArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson } from './cli-output';
import { confirmed, declined, YES_FLAG } from './confirm';
import { printWholeMemory, withMemoryByHash } from './memory-by-hash';
import { hashRequest, hashTarget, runMemoryCommand } from './memory-command';
import { describe, oneLine, pageOfPages, printMemory } from './memory-lines';

/** Flags shared by search, list and store. */
const COMMON_FLAGS = {
  tags: { type: 'string' },
  type: { type: 'string' },
  namespace: { type: 'string' },
  json: { type: 'boolean' },
} as const;
const FILTER_FLAGS = { ...COMMON_FLAGS, time: { type: 'string' } } as const;

const SEARCH_USAGE = `usage: engram search <query…> [--limit <n>] [--mode hybrid|semantic|keyword] [--min-score <0-1>] [--tags a,b] [--type <type>] [--time <expression>] [--namespace <ns>] [--json]
  --min-score  leave out results less likely than this to be relevant (default ENGRAM_SEARCH_MIN_SCORE,
               0.01, as MCP and the dashboard do; 0 keeps every result)
  ${configUsage()}`;
const LIST_USAGE = `usage: engram list [--page <n> | --cursor <next cursor>] [--page-size <n>] [--oldest] [--tags a,b] [--type <type>] [--time <expression>] [--namespace <ns>] [--json]
  ${configUsage()}`;
const STORE_USAGE = `usage: engram store <content…> [--tags a,b] [--type <type>] [--namespace <ns>] [--json]
  ${configUsage()}`;
const HASH_HELP = `<hash> is a memory's content hash, or its start as list and search print it (at least ${MIN_HASH_PREFIX} characters).
  Exit codes: 64 bad arguments, 65 several memories' hashes start so (they are listed), 66 no memory's does.`;
const GET_USAGE = `usage: engram get <hash> [--namespace <ns>] [--json]
  ${HASH_HELP}
  ${configUsage()}`;
const DELETE_USAGE = `usage: engram delete <hash> [--hard [--yes]] [--namespace <ns>] [--json]
  To the trash (restorable) unless --hard, which deletes for good: on a terminal it asks first (only y or
  yes goes ahead; anything else exits 1, nothing changed), --yes answers for you, and without a terminal to
  ask on (as in scripts) --hard needs --yes (exit 64 otherwise).
  ${HASH_HELP}
  ${configUsage()}`;

export const searchCommand: CliCommand = {
  usage: SEARCH_USAGE,
  run: (argv) =>
    runMemoryCommand(
      'search',
      argv,
      { ...FILTER_FLAGS, limit: { type: 'string' }, mode: { type: 'string' }, 'min-score': { type: 'string' } },
      {
        usage: SEARCH_USAGE,
        request: (args) => {
          const limit = integerFlag(args, 'limit', 1, MAX_PAGE_SIZE);
          if (limit.problem) return { problem: limit.problem };
          const minScore = decimalFlag(args, 'min-score', 0, 1);
          if (minScore.problem) return { problem: minScore.problem };
          const query = args.positionals.join(' ');
          return {
            schema: SearchBody,
            input: { query, limit: limit.value, mode: args.flags.mode, min_score: minScore.value, ...filters(args) },
          };
        },
        async execute(context, input, json) {
          // A person reads these results, as on the dashboard: the same floor keeps unrelated memories out.
          const query = input as z.output<typeof SearchBody>;
          const minScore = query.min_score ?? context.get<AppConfig>(APP_CONFIG).search.minScore;
          const outcome = await context.get(SearchService).hybridSearch({ ...query, min_score: minScore });
          if (json) {
            const results = outcome.hits.map(toHitView);
            return printJson({ results, search_type: outcome.mode, below_floor: outcome.belowFloor });
          }
          for (const hit of outcome.hits) printMemory(hit.memory, { score: hit.score.toFixed(3) });
          const elapsed = `${outcome.mode}, ${Math.round(outcome.elapsedMs)} ms`;
          process.stderr.write(
            `${counted(outcome.hits.length, 'result', 'results')} (${elapsed})${belowFloorNote(outcome.belowFloor, minScore)}\n`,
          );
          return 0;
        },
      },
    ),
};

export const listCommand: CliCommand = {
  usage: LIST_USAGE,
  run: (argv) =>
    runMemoryCommand(
      'list',
      argv,
      {
        ...FILTER_FLAGS,
        page: { type: 'string' },
        cursor: { type: 'string' },
        'page-size': { type: 'string' },
        oldest: { type: 'boolean' },
      },
      {
        usage: LIST_USAGE,
        request: (args) => ({
          schema: ListMemoriesQuery,
          positionalsAllowed: false,
          input: {
            page: args.flags.page,
            cursor: args.flags.cursor,
            page_size: args.flags['page-size'],
            order: args.flags.oldest ? 'oldest' : undefined,
            ...filters(args),
          },
        }),
        async execute(context, input, json) {
          const page = await context.get(MemoryService).list(input as z.output<typeof ListMemoriesQuery>);
          if (json) return printJson(toMemoryPageView(page));
          for (const memory of page.memories) printMemory(memory);
          const where = page.page === null ? 'after the cursor' : pageOfPages(page.page, page.totalPages!);
          const total = page.total === null ? '' : `, ${counted(page.total, 'memory', 'memories')}`;
          const next = page.nextCursor === null ? '' : `; next: --cursor ${page.nextCursor}`;
          process.stderr.write(`${where}${total}${next}\n`);
          return 0;
        },
      },
    ),
};

export const storeCommand: CliCommand = {
  usage: STORE_USAGE,
  run: (argv) =>
    runMemoryCommand('store', argv, COMMON_FLAGS, {
      usage: STORE_USAGE,
      request: (args) => ({
        schema: StoreMemoryBody,
        input: { content: args.positionals.join(' '), tags: args.flags.tags, memory_type: args.flags.type },
      }),
      async execute(context, input, json) {
        const memory = await context.get(MemoryService).store(input as z.output<typeof StoreMemoryBody>);
        if (json) return printJson({ content_hash: memory.contentHash, memory: toMemoryView(memory) });
        process.stdout.write(`stored ${memory.contentHash} (${describe(memory)})\n`);
        return 0;
      },
    }),
};

export const getCommand: CliCommand = {
  usage: GET_USAGE,
  run: (argv) =>
    runMemoryCommand(
      'get',
      argv,
      { namespace: { type: 'string' }, json: { type: 'boolean' } },
      {
        usage: GET_USAGE,
        request: (args) => hashRequest(args.positionals),
        execute: (context, input, json) =>
          withMemoryByHash(context, 'get', hashTarget(input), async ({ contentHash }) => {
            // Read as GET /api/memories/:hash reads it: a fetch, counted as a use.
            const memory = await context.get(MemoryService).read(contentHash);
            if (json) return printJson(toMemoryView(memory));
            printWholeMemory(memory);
            return 0;
          }),
      },
    ),
};

export const deleteCommand: CliCommand = {
  usage: DELETE_USAGE,
  run: (argv) =>
    runMemoryCommand(
      'delete',
      argv,
      { namespace: { type: 'string' }, json: { type: 'boolean' }, hard: { type: 'boolean' }, ...YES_FLAG },
      {
        usage: DELETE_USAGE,
        request: (args) => hashRequest(args.positionals),
        execute: (context, input, json, args) =>
          withMemoryByHash(context, 'delete', hashTarget(input), async (found) => {
            const { contentHash, namespace } = found;
            const hard = args.flags.hard === true;
            const which = `${contentHash.slice(0, 12)} "${oneLine(found)}" (${describe(found)})`;
            if (hard && !(await confirmed(`Delete ${which} from namespace ${namespace} for good?`, args))) {
              return declined('delete');
            }
            // DELETE /api/memories/:hash's own path: the tombstone (or the purge) and the memory_deleted event.
            const memory = await context.get(MemoryService).delete(contentHash, hard);
            const message = hard ? 'Memory deleted for good' : 'Memory deleted';
            if (json) return printJson({ success: true, message, content_hash: memory.contentHash });
            const where = hard ? 'for good' : 'to the trash';
            process.stdout.write(`deleted ${memory.contentHash} (${describe(memory)}) ${where}\n`);
            return 0;
          }),
        asksFirst: (args) => args.flags.hard === true,
      },
    ),
};

function filters(args: ParsedArgs) {
  return { tags: args.flags.tags, memory_type: args.flags.type, time_expr: args.flags.time };
}

/** How many results the floor left out and how to see them, so an empty answer is never a dead end. */
function belowFloorNote(count: number, minScore: number): string {
  return count === 0 ? '' : `; ${count} more below --min-score ${minScore} (--min-score 0 shows them)`;
}
