import { INestApplicationContext } from '@nestjs/common';
import { DomainError } from '../common/domain-errors';
import { MemoryService } from '../memories/memory.service';
import { MemoryRecord } from '../storage/memory.record';
import { oneLine } from './memory-lines';

/** Candidates an ambiguous hash lists; one more is read to know there are more. */
const CANDIDATES_SHOWN = 5;

/** Where a hash is looked for: the live memories (get, delete) or the trash (its commands). */
export interface HashTarget {
  prefix: string;
  namespace: string;
  inTrash?: boolean;
}

/**
 * Runs `act` on the one memory whose hash starts with `prefix` (as `engram list` and `search` print them,
 * or whole), live or in the trash, in the namespace of the command. None: one line, 66 (EX_NOINPUT, as
 * other commands answer a key or backup that is not there); several: the candidates, 65 (EX_DATAERR), so a
 * delete or purge never picks one of them.
 */
export async function withMemoryByHash(
  context: INestApplicationContext,
  command: string,
  { prefix, namespace, inTrash = false }: HashTarget,
  act: (memory: MemoryRecord) => Promise<number>,
): Promise<number> {
  const memories = context.get(MemoryService);
  const limit = CANDIDATES_SHOWN + 1;
  const candidates = inTrash
    ? await memories.matchTrashHashPrefix(prefix, limit)
    : await memories.matchHashPrefix(prefix, limit);
  const where = inTrash ? ' in the trash' : '';
  if (candidates.length > 1) {
    const more = candidates.length > CANDIDATES_SHOWN ? `, and more` : '';
    const lines = candidates.slice(0, CANDIDATES_SHOWN).map((memory) => `  ${memory.contentHash}  ${oneLine(memory)}`);
    process.stderr.write(
      `engram ${command}: ${prefix} starts the hash of several memories${where}${more}; give more of it:\n${lines.join('\n')}\n`,
    );
    return 65; // EX_DATAERR
  }
  try {
    if (candidates.length === 1) return await act(candidates[0]);
  } catch (error) {
    if (!(error instanceof DomainError && error.status === 404)) throw error;
    // Deleted, restored or purged by another client between the look-up and the command: as if never found.
  }
  process.stderr.write(
    `engram ${command}: no memory${where} with a hash starting ${prefix} in namespace ${namespace}\n`,
  );
  return 66; // EX_NOINPUT
}

/** One memory in full for people: a field a line, then the content as stored. */
export function printWholeMemory(memory: MemoryRecord): void {
  const iso = (ms: number) => new Date(ms).toISOString();
  const fields: [string, string | undefined][] = [
    ['content_hash', memory.contentHash],
    ['type', memory.memoryType],
    ['tags', memory.tags.length > 0 ? memory.tags.join(', ') : '(none)'],
    ['created', iso(memory.createdAt)],
    ['updated', iso(memory.updatedAt)],
    ['deleted', memory.deletedAt === null ? undefined : iso(memory.deletedAt)],
    ['supersedes', memory.supersedes ?? undefined],
    [
      'superseded by',
      memory.supersededBy === null
        ? undefined
        : `${memory.supersededBy} (since ${iso(memory.validTo ?? memory.updatedAt)})`,
    ],
    ['metadata', JSON.stringify(memory.metadata)],
  ];
  const shown = fields.filter((field): field is [string, string] => field[1] !== undefined);
  const width = Math.max(...shown.map(([name]) => name.length));
  const lines = shown.map(([name, value]) => `${name.padEnd(width)}  ${value}`);
  process.stdout.write(`${lines.join('\n')}\n\n${memory.content}\n`);
}
