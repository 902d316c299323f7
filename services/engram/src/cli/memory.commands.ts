import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { z } from 'zod';
import { AppModule } from '../app.module';
import { currentNamespace, DEFAULT_NAMESPACE, LOCAL_OWNER, runInContext } from '../auth/request-context';
import { isNamespace } from '../auth/namespace';
import { createLogger } from '../process/logger';
import {
  HashPrefixArg,
  ListMemoriesQuery,
  MAX_PAGE_SIZE,
  MIN_HASH_PREFIX,
  StoreMemoryBody,
} from '../memories/memory.dto';
import { MemoryService } from '../memories/memory.service';
import { toMemoryPageView, toMemoryView } from '../memories/memory.view';
import { toHitView } from '../search/search-hit.view';
import { SearchBody } from '../search/search.dto';
import { SearchService } from '../search/search.service';
import { MemoryRecord } from '../storage/memory.record';
import { FlagSpec, integerFlag, ParsedArgs, parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, refusal, usageError } from './cli-output';
import { configForExistingStore } from './existing-store';
import { describeFlagIssues } from './flag-issues';
import { printWholeMemory, withMemoryByHash } from './memory-by-hash';

/** Flags shared by search, list and store, and the request field each one fills. */
const COMMON_FLAGS = {
  tags: { type: 'string' },
  type: { type: 'string' },
  namespace: { type: 'string' },
  json: { type: 'boolean' },
} as const;
const FILTER_FLAGS = { ...COMMON_FLAGS, time: { type: 'string' } } as const;
const FIELD_FLAGS: Record<string, string> = {
  query: '<query>',
  content: '<content>',
  limit: '--limit',
  mode: '--mode',
  tags: '--tags',
  memory_type: '--type',
  time_expr: '--time',
  page: '--page',
  page_size: '--page-size',
  cursor: '--cursor',
  content_hash: '<hash>',
};

const SEARCH_USAGE = `usage: engram search <query…> [--limit <n>] [--mode hybrid|semantic|keyword] [--tags a,b] [--type <type>] [--time <expression>] [--namespace <ns>] [--json]
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
const DELETE_USAGE = `usage: engram delete <hash> [--hard] [--namespace <ns>] [--json]
  To the trash (restorable) unless --hard, which deletes for good. ${HASH_HELP}
  ${configUsage()}`;

export const searchCommand: CliCommand = {
  usage: SEARCH_USAGE,
  run: (argv) =>
    runMemoryCommand(
      'search',
      argv,
      { ...FILTER_FLAGS, limit: { type: 'string' }, mode: { type: 'string' } },
      {
        usage: SEARCH_USAGE,
        request: (args) => {
          const limit = integerFlag(args, 'limit', 1, MAX_PAGE_SIZE);
          if (limit.problem) return { problem: limit.problem };
          return {
            schema: SearchBody,
            input: { query: args.positionals.join(' '), limit: limit.value, mode: args.flags.mode, ...filters(args) },
          };
        },
        async execute(context, input, json) {
          const outcome = await context.get(SearchService).hybridSearch(input as z.output<typeof SearchBody>);
          if (json) return printJson({ results: outcome.hits.map(toHitView), search_type: outcome.mode });
          for (const hit of outcome.hits) printMemory(hit.memory, hit.score.toFixed(3));
          process.stderr.write(
            `${outcome.hits.length} results (${outcome.mode}, ${Math.round(outcome.elapsedMs)} ms)\n`,
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
          const total = page.total === null ? '' : `, ${page.total} memories`;
          const next = page.nextCursor === null ? '' : `; next: --cursor ${page.nextCursor}`;
          process.stderr.write(`${where}${total}${next}\n`);
          return 0;
        },
      },
    ),
};

/** "page 2 of 5"; a page past the end says so, since it lists nothing (the README's `--page 2` on a new store). */
function pageOfPages(page: number, totalPages: number): string {
  const last = Math.max(totalPages, 1);
  return page > last ? `page ${page} is past the last page (${last})` : `page ${page} of ${last}`;
}

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

/** A memory's hash, whole or its start, as the one positional argument. */
const HashArgs = z.object({ content_hash: HashPrefixArg });

function hashRequest(args: ParsedArgs) {
  if (args.positionals.length > 1) return { problem: `one <hash> only, not "${args.positionals.join(' ')}"` };
  return { schema: HashArgs, input: { content_hash: args.positionals[0] } };
}

export const getCommand: CliCommand = {
  usage: GET_USAGE,
  run: (argv) =>
    runMemoryCommand(
      'get',
      argv,
      { namespace: { type: 'string' }, json: { type: 'boolean' } },
      {
        usage: GET_USAGE,
        request: hashRequest,
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
      { namespace: { type: 'string' }, json: { type: 'boolean' }, hard: { type: 'boolean' } },
      {
        usage: DELETE_USAGE,
        request: hashRequest,
        execute: (context, input, json, args) =>
          withMemoryByHash(context, 'delete', hashTarget(input), async ({ contentHash }) => {
            const hard = args.flags.hard === true;
            // DELETE /api/memories/:hash's own path: the tombstone (or the purge) and the memory_deleted event.
            const memory = await context.get(MemoryService).delete(contentHash, hard);
            const message = hard ? 'Memory deleted for good' : 'Memory deleted';
            if (json) return printJson({ success: true, message, content_hash: memory.contentHash });
            const where = hard ? 'for good' : 'to the trash';
            process.stdout.write(`deleted ${memory.contentHash} (${describe(memory)}) ${where}\n`);
            return 0;
          }),
      },
    ),
};

/** The validated hash and the namespace the command runs in. */
function hashTarget(input: unknown): { prefix: string; namespace: string } {
  return { prefix: (input as z.output<typeof HashArgs>).content_hash, namespace: currentNamespace() };
}

interface MemoryCommand {
  usage: string;
  /** The request the arguments make, checked by the same schema as the REST route, or a flag's problem. */
  request(
    args: ParsedArgs,
  ): { schema: z.ZodType; input: Record<string, unknown>; positionalsAllowed?: boolean } | { problem: string };
  execute(context: INestApplicationContext, input: unknown, json: boolean, args: ParsedArgs): Promise<number>;
}

/**
 * Parses and validates the arguments, opens the application on the existing store, and runs the
 * command in the chosen namespace with the rights of the database file's owner (as stdio MCP does).
 */
async function runMemoryCommand(name: string, argv: readonly string[], flags: FlagSpec, command: MemoryCommand) {
  const args = parseCommandArgs(argv, flags);
  if ('problem' in args) return usageError(name, args.problem, command.usage);
  const request = command.request(args);
  if ('problem' in request) return usageError(name, request.problem, command.usage);
  const { schema, input, positionalsAllowed = true } = request;
  if (!positionalsAllowed && args.positionals.length > 0) {
    return usageError(name, `unexpected "${args.positionals[0]}"`, command.usage);
  }
  const namespace = args.flags.namespace ?? DEFAULT_NAMESPACE;
  if (typeof namespace !== 'string' || !isNamespace(namespace)) {
    return usageError(name, '--namespace: lowercase letters, digits, - and _ (at most 64)', command.usage);
  }
  const parsed = schema.safeParse(withoutUndefined(input));
  if (!parsed.success) {
    return usageError(
      name,
      describeFlagIssues(parsed.error, (field) => FIELD_FLAGS[field] ?? name),
      command.usage,
    );
  }
  const config = configForExistingStore(name, args.configArgv);
  if (typeof config === 'number') return config;
  const logger = createLogger(
    { ...config, log: { ...config.log, level: config.log.level === 'debug' ? 'debug' : 'warn' } },
    { command: true },
  );
  const context = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger,
    abortOnError: false,
  });
  try {
    return await runInContext({ ...LOCAL_OWNER, namespace }, () =>
      command.execute(context, parsed.data, args.flags.json === true, args),
    );
  } catch (error) {
    return refusal(name, error, (field) => FIELD_FLAGS[field]);
  } finally {
    await context.close();
  }
}

function filters(args: ParsedArgs) {
  return { tags: args.flags.tags, memory_type: args.flags.type, time_expr: args.flags.time };
}

function withoutUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

/** Two lines per memory: when, type, tags and hash (with the score for search), then the text on one line. */
function printMemory(memory: MemoryRecord, score?: string): void {
  const text = memory.content.replace(/\s+/g, ' ').trim();
  const shown = text.length > 200 ? `${text.slice(0, 199)}…` : text;
  const head = [score, new Date(memory.createdAt).toISOString().slice(0, 16).replace('T', ' '), describe(memory)];
  process.stdout.write(`${head.filter(Boolean).join('  ')}  ${memory.contentHash.slice(0, 12)}\n    ${shown}\n`);
}

function describe(memory: MemoryRecord): string {
  return memory.tags.length > 0 ? `${memory.memoryType}, tags ${memory.tags.join(',')}` : memory.memoryType;
}
