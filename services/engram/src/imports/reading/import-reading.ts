import { DetectProbe, Importer, ImportDocument, ImportSource, isFailure } from '../imports.types';
import { detectImporter, importerFor } from '../importer-registry';
import { ImportInput, ImportLimits } from '../input/import-input';
import { ImportItem, ItemSettings, memoryItems } from '../memory-items';
import { CONVERSATIONS_FILE } from '../sources/conversation-files';

/** What one reading pass is asked to do (all of it plain data: it crosses to a worker thread). */
export interface ReadRequest {
  location: string;
  name: string;
  limits: ImportLimits;
  source: ImportSource | 'auto';
  /** Memories: documents arrive cut into items; memory directory: documents arrive whole (bounded). */
  target: 'memories' | 'memory-dir';
  items: ItemSettings;
  /** How long the pass may work on one step (opening, or the next unit) before it is stopped. */
  stepTimeoutMs: number;
}

/** What the input turned out to be, known before its first document. */
export interface ReadHeader {
  source: ImportSource;
  label: string;
  memoryDirFolder?: string;
  skipped: { item: string; reason: string }[];
}

/** A slice of the stream of what the input holds, small enough to hand over without a pause. */
export type ReadUnit =
  | { kind: 'items'; documents: number; items: ImportItem[] }
  /** For the memory directory; `items` is how many memories it would have made (for the summary). */
  | { kind: 'document'; document: ImportDocument; items: number }
  | { kind: 'failure'; failure: { item: string; reason: string } };

/** Items handed over at once: at most this many, or this much text. */
const UNIT_ITEMS = 64;
const UNIT_CHARS = 1024 * 1024;
/**
 * A document bound for the memory directory is cut to this many characters of body text before it
 * is handed over: the file written from it is capped at 1000 KiB anyway, so nothing written changes.
 */
const MEMORY_DIR_BODY_CHARS = 1024 * 1024 + 1024;

/** Opens the input and finds its importer (detecting it, or the one asked for). */
export async function openReading(
  request: ReadRequest,
): Promise<{ header: ReadHeader; units: AsyncIterable<ReadUnit> }> {
  const input = await ImportInput.open(request.location, request.name, request.limits);
  const importer =
    request.source === 'auto' ? await detectImporter(await probeOf(input), input) : await importerFor(request.source);
  const header: ReadHeader = {
    source: importer.source,
    label: importer.label,
    memoryDirFolder: importer.memoryDirFolder,
    skipped: input.skipped,
  };
  return { header, units: unitsOf(importer, input, request) };
}

async function* unitsOf(importer: Importer, input: ImportInput, request: ReadRequest): AsyncGenerator<ReadUnit> {
  let pending: { documents: number; items: ImportItem[]; chars: number } = { documents: 0, items: [], chars: 0 };
  const flush = () => {
    const unit: ReadUnit = { kind: 'items', documents: pending.documents, items: pending.items };
    pending = { documents: 0, items: [], chars: 0 };
    return unit;
  };
  for await (const entry of importer.read(input)) {
    if (isFailure(entry)) {
      if (pending.documents > 0) yield flush();
      yield { kind: 'failure', failure: entry.failure };
      continue;
    }
    if (request.target === 'memory-dir') {
      yield { kind: 'document', document: boundedBody(entry), items: memoryItems(entry, request.items).length };
      continue;
    }
    pending.documents++;
    for (const item of memoryItems(entry, request.items)) {
      pending.items.push(item);
      pending.chars += item.memory.content.length;
      if (pending.items.length >= UNIT_ITEMS || pending.chars >= UNIT_CHARS) yield flush();
    }
  }
  if (pending.documents > 0) yield flush();
}

/** The document with its body text cut where the memory directory would cut the file anyway. */
function boundedBody(document: ImportDocument): ImportDocument {
  const { body } = document;
  let budget = MEMORY_DIR_BODY_CHARS;
  // Leading blanks are trimmed when the file is written, so they do not count against the budget.
  const take = (text: string) => {
    const kept = text.trimStart().slice(0, budget);
    budget -= kept.length;
    return kept;
  };
  const within = <T>(list: readonly T[], cut: (value: T) => T): T[] => {
    const kept: T[] = [];
    for (const value of list) {
      if (budget <= 0) break;
      kept.push(cut(value));
    }
    return kept;
  };
  switch (body.kind) {
    case 'text':
    case 'record':
      return { ...document, body: { ...body, text: take(body.text) } };
    case 'conversation':
      return {
        ...document,
        body: { kind: 'conversation', turns: within(body.turns, (turn) => ({ ...turn, text: take(turn.text) })) },
      };
    case 'entity':
      return { ...document, body: { ...body, observations: within(body.observations, take) } };
    case 'relation':
      return document;
  }
}

/** What detection looks at; for an archive, also the head of its conversations file (ChatGPT and Claude share the name). */
async function probeOf(input: ImportInput): Promise<DetectProbe> {
  let head = input.head;
  if (input.kind !== 'file' && input.paths.some((path) => CONVERSATIONS_FILE.test(path))) {
    for await (const entry of input.entries((path) => CONVERSATIONS_FILE.test(path))) {
      const stream = await entry.open();
      for await (const chunk of stream) {
        head = Buffer.from(chunk as Buffer).subarray(0, 4096);
        break;
      }
      stream.destroy();
      break;
    }
  }
  return { name: input.name, kind: input.kind, paths: input.paths, head };
}
