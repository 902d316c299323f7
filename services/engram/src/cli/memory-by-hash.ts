import { INestApplicationContext } from '@nestjs/common';
import { MemoryNotFound } from '../common/domain-errors';
import { MemoryService } from '../memories/memory.service';
import { MemoryRecord } from '../storage/memory.record';

/** Candidates an ambiguous hash lists; one more is read to know there are more. */
const CANDIDATES_SHOWN = 5;

/**
 * Runs `act` on the one live memory whose hash starts with `prefix` (as `engram list` and `search` print
 * them, or whole), in the namespace of the command. None: one line, 66 (EX_NOINPUT, as other commands
 * answer a key or backup that is not there); several: the candidates, 65 (EX_DATAERR), so a delete never
 * picks one of them.
 */
export async function withMemoryByHash(
  context: INestApplicationContext,
  command: string,
  { prefix, namespace }: { prefix: string; namespace: string },
  act: (memory: MemoryRecord) => Promise<number>,
): Promise<number> {
  const candidates = await context.get(MemoryService).matchHashPrefix(prefix, CANDIDATES_SHOWN + 1);
  if (candidates.length > 1) {
    const more = candidates.length > CANDIDATES_SHOWN ? `, and more` : '';
    const lines = candidates.slice(0, CANDIDATES_SHOWN).map((memory) => `  ${memory.contentHash}  ${oneLine(memory)}`);
    process.stderr.write(
      `engram ${command}: ${prefix} starts the hash of several memories${more}; give more of it:\n${lines.join('\n')}\n`,
    );
    return 65; // EX_DATAERR
  }
  try {
    if (candidates.length === 1) return await act(candidates[0]);
  } catch (error) {
    if (!(error instanceof MemoryNotFound)) throw error;
    // Deleted by another client between the look-up and the command: as if never found.
  }
  process.stderr.write(`engram ${command}: no memory with a hash starting ${prefix} in namespace ${namespace}\n`);
  return 66; // EX_NOINPUT
}

function oneLine(memory: MemoryRecord): string {
  const text = memory.content.replace(/\s+/g, ' ').trim();
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
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
