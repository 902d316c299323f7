import { MemoryRecord } from '../storage/memory.record';

/**
 * Two lines per memory: when, type, tags and hash (with the score for search), then the text on one line.
 * When is the creation, or for the trash the deletion ("deleted 2026-05-04 09:30").
 */
export function printMemory(
  memory: MemoryRecord,
  { score, deleted = false }: { score?: string; deleted?: boolean } = {},
): void {
  const text = memory.content.replace(/\s+/g, ' ').trim();
  const shown = text.length > 200 ? `${text.slice(0, 199)}…` : text;
  const at = minutes(deleted ? memory.deletedAt! : memory.createdAt);
  const head = [score, deleted ? `deleted ${at}` : at, describe(memory)];
  process.stdout.write(`${head.filter(Boolean).join('  ')}  ${memory.contentHash.slice(0, 12)}\n    ${shown}\n`);
}

/** "note", or "note, tags home,boiler". */
export function describe(memory: MemoryRecord): string {
  return memory.tags.length > 0 ? `${memory.memoryType}, tags ${memory.tags.join(',')}` : memory.memoryType;
}

/** The start of the text on one line (60 characters at most), to tell one memory from another. */
export function oneLine(memory: MemoryRecord): string {
  const text = memory.content.replace(/\s+/g, ' ').trim();
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** "page 2 of 5"; a page past the end says so, since it lists nothing (the README's `--page 2` on a new store). */
export function pageOfPages(page: number, totalPages: number): string {
  const last = Math.max(totalPages, 1);
  return page > last ? `page ${page} is past the last page (${last})` : `page ${page} of ${last}`;
}

function minutes(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
