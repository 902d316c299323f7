import { INestApplicationContext } from '@nestjs/common';
import { MIN_HASH_PREFIX, TrashInput, TrashQuery } from '../memories/memory.dto';
import { MemoryService } from '../memories/memory.service';
import { toDeletedMemoryView, toMemoryPageView, toMemoryView } from '../memories/memory.view';
import { MemoryRecord } from '../storage/memory.record';
import { FlagSpec, ParsedArgs, parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, usageError } from './cli-output';
import { confirmed, declined, YES_FLAG } from './confirm';
import { printWholeMemory, withMemoryByHash } from './memory-by-hash';
import { hashRequest, hashTarget, MemoryCommand, runMemoryCommand } from './memory-command';
import { describe, oneLine, pageOfPages, printMemory } from './memory-lines';

const USAGE = `usage:
  engram trash list [--page <n> | --cursor <next cursor>] [--page-size <n>] [--namespace <ns>] [--json]
      most recently deleted first; a text deleted more than once is listed once, at its latest deletion
  engram trash show <hash> [--namespace <ns>] [--json]
  engram trash restore <hash> [--namespace <ns>] [--json]
      live and searchable again (re-embedded); refused (exit 1) when the same text has been stored since
  engram trash purge <hash> [--yes] [--namespace <ns>] [--json]
      deletes every deletion of that text for good, after asking on the terminal; --yes does not ask
      (without a terminal to ask on, as in scripts, purge needs --yes: exit 64 otherwise)
  <hash> is the content hash of a memory in the trash, or its start as trash list prints it (at least ${MIN_HASH_PREFIX} characters).
  Exit codes: 64 bad arguments, 65 several hashes in the trash start so (they are listed), 66 none does,
  1 a restore refused or a purge not confirmed.
  ${configUsage()}`;

const HASH_FLAGS = { namespace: { type: 'string' }, json: { type: 'boolean' } } as const satisfies FlagSpec;
const PURGE_FLAGS = { ...HASH_FLAGS, ...YES_FLAG } as const satisfies FlagSpec;
const LIST_FLAGS = {
  ...HASH_FLAGS,
  page: { type: 'string' },
  cursor: { type: 'string' },
  'page-size': { type: 'string' },
} as const satisfies FlagSpec;
/** Every action's flags, to find the action (and name an unknown flag); the action then takes its own. */
const ANY_ACTION_FLAGS = { ...LIST_FLAGS, ...PURGE_FLAGS } as const satisfies FlagSpec;

/** What the trash REST routes answer, each through the MemoryService method its route calls. */
const ACTIONS: Record<string, { flags: FlagSpec; command: MemoryCommand }> = {
  list: {
    flags: LIST_FLAGS,
    command: {
      usage: USAGE,
      request: (args) => {
        const [, unexpected] = args.positionals;
        if (unexpected !== undefined) return { problem: `unexpected "${unexpected}"` };
        const { page, cursor, 'page-size': pageSize } = args.flags;
        return { schema: TrashQuery, input: { page, cursor, page_size: pageSize } };
      },
      async execute(context, input, json) {
        const page = await context.get(MemoryService).trash(input as TrashInput);
        if (json) return printJson(toMemoryPageView(page, toDeletedMemoryView));
        for (const memory of page.memories) printMemory(memory, { deleted: true });
        const where = page.page === null ? 'after the cursor' : pageOfPages(page.page, page.totalPages!);
        const next = page.nextCursor === null ? '' : `; next: --cursor ${page.nextCursor}`;
        process.stderr.write(`${where}, ${page.total} in the trash${next}\n`);
        return 0;
      },
    },
  },
  show: onOneInTrash('show', { deletesForGood: false }, async (memories, { contentHash }, json) => {
    const memory = await memories.getDeleted(contentHash);
    if (json) return printJson(toDeletedMemoryView(memory));
    printWholeMemory(memory);
    return 0;
  }),
  restore: onOneInTrash('restore', { deletesForGood: false }, async (memories, { contentHash }, json) => {
    // Re-embedded, and the memory_created event with restored: true; a text live again is a DuplicateContent (409).
    const memory = await memories.restore(contentHash);
    if (json) {
      const view = toMemoryView(memory);
      return printJson({ success: true, message: 'Memory restored', content_hash: memory.contentHash, memory: view });
    }
    process.stdout.write(`restored ${memory.contentHash} (${describe(memory)})\n`);
    return 0;
  }),
  purge: onOneInTrash('purge', { deletesForGood: true }, async (memories, tombstone, json, args) => {
    const { contentHash, namespace } = tombstone;
    const which = `${contentHash.slice(0, 12)} "${oneLine(tombstone)}" (${describe(tombstone)})`;
    if (!(await confirmed(`Purge ${which} from namespace ${namespace} for good?`, args))) {
      return declined('trash purge');
    }
    const memory = await memories.purge(contentHash);
    if (json) return printJson({ success: true, message: 'Memory deleted for good', content_hash: memory.contentHash });
    process.stdout.write(`deleted ${memory.contentHash} (${describe(memory)}) for good\n`);
    return 0;
  }),
};

/**
 * An action on the one memory in the trash that `<hash>` names (see withMemoryByHash); one that deletes
 * for good takes --yes and, without it, needs a terminal to ask on (confirm.ts).
 */
function onOneInTrash(
  action: string,
  { deletesForGood }: { deletesForGood: boolean },
  act: (memories: MemoryService, tombstone: MemoryRecord, json: boolean, args: ParsedArgs) => Promise<number>,
): { flags: FlagSpec; command: MemoryCommand } {
  return {
    flags: deletesForGood ? PURGE_FLAGS : HASH_FLAGS,
    command: {
      usage: USAGE,
      request: (args) => hashRequest(args.positionals.slice(1)),
      execute: (context: INestApplicationContext, input, json, args) =>
        withMemoryByHash(context, `trash ${action}`, { ...hashTarget(input), inTrash: true }, (tombstone) =>
          act(context.get(MemoryService), tombstone, json, args),
        ),
      asksFirst: () => deletesForGood,
    },
  };
}

export const trashCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, ANY_ACTION_FLAGS);
    if ('problem' in args) return usageError('trash', args.problem, USAGE);
    const [action] = args.positionals;
    if (action === undefined || !Object.hasOwn(ACTIONS, action)) {
      const problem = action === undefined ? 'say what to do' : `cannot "${action}"`;
      return usageError('trash', `${problem}: list, show, restore or purge`, USAGE);
    }
    const { flags, command } = ACTIONS[action];
    return runMemoryCommand(`trash ${action}`, argv, flags, command);
  },
};
