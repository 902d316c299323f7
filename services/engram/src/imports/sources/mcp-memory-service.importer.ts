import Database from 'better-sqlite3';
import { z } from 'zod';
import { isReservedMemoryType, MEMORY_FILE_TYPE } from '../../memories/memory.dto';
import { ImportRejected } from '../imports.errors';
import { DetectProbe, Importer, ImportDocument, ImportEntry, ImportSource } from '../imports.types';
import { ImportInput } from '../input/import-input';
import { ELEMENT, JsonHead, PathPattern } from '../input/json-head';
import {
  elementName,
  isUnreadable,
  JsonArrayElement,
  readJsonArray,
  UnreadableElement,
} from '../input/json-array.stream';
import { fieldProblem } from './field-problem';
import { epochMs, itemTitle, textOf } from './source-values';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const MEMORY_TYPE = /^[a-z][a-z0-9_-]{0,63}$/;
/** What names a memory in a failure: the start of its content, else its hash (its id in MCP Memory Service). */
const TITLE_KEYS = ['content', 'content_hash'];

const ExportedMemory = z.looseObject({
  content: z.string().refine((text) => text.trim() !== '', 'content is empty'),
  content_hash: z.string().nullish(),
  tags: z.union([z.array(z.string()), z.string()]).nullish(),
  // Any other unusable type becomes `note`; the reserved one is refused, as the store routes refuse it.
  memory_type: z
    .string()
    .nullish()
    .refine(
      (type) => !type || !isReservedMemoryType(type),
      `names ${MEMORY_FILE_TYPE}, a type only Engram writes (the memory directory's search entries)`,
    ),
  metadata: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
  created_at: z.union([z.number(), z.string()]).nullish(),
  created_at_iso: z.string().nullish(),
  updated_at: z.union([z.number(), z.string()]).nullish(),
  updated_at_iso: z.string().nullish(),
});
type ExportedMemory = z.infer<typeof ExportedMemory>;

/**
 * MCP Memory Service's stores: its SQLite-vec database file (`sqlite_vec.db`) or its JSON export
 * (`export_memories.py`: `{export_metadata, memories: [...]}`, or a bare array). Content, tags, type,
 * metadata and timestamps are kept; vectors are not read (ours are computed with our model).
 */
export class McpMemoryServiceImporter implements Importer {
  readonly source = ImportSource.McpMemoryService;
  readonly label = 'MCP Memory Service database or JSON export';

  detect({ kind, head }: DetectProbe): boolean {
    if (kind !== 'file') return false;
    if (head.subarray(0, 16).equals(SQLITE_HEADER)) return true;
    // A memory's own keys, in the bare array or the export's `memories`: a conversation quoting one in a
    // message (a tool call's input) shows them deeper, or inside a string.
    const json = JsonHead.of(head);
    return MEMORY_PATHS.some((path) => json.has(path, 'content_hash') && json.has(path, 'content'));
  }

  async *read(input: ImportInput): AsyncIterable<ImportEntry> {
    if (input.kind !== 'file')
      throw new ImportRejected(`${input.name}: expected the database file or the JSON export itself`);
    if (input.head.subarray(0, 16).equals(SQLITE_HEADER)) {
      yield* this.readDatabase(input);
      return;
    }
    for await (const element of exportedElements(input)) {
      if (isUnreadable(element)) {
        yield { failure: { item: elementName(input.name, 'memory', element), reason: element.reason } };
        continue;
      }
      const parsed = ExportedMemory.safeParse(element.value);
      if (!parsed.success) {
        const item = elementName(input.name, 'memory', element, itemTitle(element.value, TITLE_KEYS));
        yield { failure: { item, reason: fieldProblem(parsed.error, element.value) } };
        continue;
      }
      yield this.document(parsed.data, input.name, `memory ${element.index + 1}`);
    }
  }

  /**
   * The JSON export whose head does not show a memory's keys (a first memory longer than the head, a
   * large export_metadata): its memories are read as an import reads them, and the first one decides.
   * A memory that cannot be read is passed over, as its import would pass it; so is one with content but
   * no hash, which a stray quote may have cut short. Linear in the file, as reading it is.
   */
  async detectInFile(input: ImportInput): Promise<boolean> {
    if (input.kind !== 'file' || !JSON_START.has(firstCharacter(input.head) ?? '')) return false;
    try {
      for await (const element of exportedElements(input)) {
        if (isUnreadable(element)) continue;
        const memory = element.value as Record<string, unknown> | null;
        if (typeof memory !== 'object' || memory === null || typeof memory.content !== 'string') return false;
        if ('content_hash' in memory) return true;
      }
    } catch (error) {
      if (error instanceof ImportRejected) return false; // no array of memories where the export has one
      throw error;
    }
    return false;
  }

  private *readDatabase(input: ImportInput): Iterable<ImportEntry> {
    let db: Database.Database;
    try {
      db = new Database(input.location, { readonly: true, fileMustExist: true });
      db.pragma('trusted_schema = OFF');
    } catch (error) {
      throw new ImportRejected(`${input.name} is not a readable SQLite database: ${(error as Error).message}`);
    }
    try {
      const columns = this.memoryColumns(db, input.name);
      const wanted = [
        'content',
        'content_hash',
        'tags',
        'memory_type',
        'metadata',
        'created_at',
        'created_at_iso',
        'updated_at',
        'updated_at_iso',
      ];
      const selected = wanted.filter((column) => columns.has(column));
      const live = columns.has('deleted_at') ? 'WHERE deleted_at IS NULL' : '';
      const rows = db.prepare(
        `SELECT rowid AS _row, ${selected.map((column) => `"${column}"`).join(', ')} FROM memories ${live} ORDER BY rowid`,
      );
      for (const row of rows.iterate() as Iterable<Record<string, unknown>>) {
        const fields = withoutNulls(row);
        const parsed = ExportedMemory.safeParse(fields);
        if (!parsed.success) {
          const title = itemTitle(fields, TITLE_KEYS);
          const item = `${input.name}, memories row ${String(row._row)}${title ? ` (${JSON.stringify(title)})` : ''}`;
          yield { failure: { item, reason: fieldProblem(parsed.error, fields) } };
          continue;
        }
        yield this.document(parsed.data, input.name, `row ${String(row._row)}`);
      }
    } catch (error) {
      if (error instanceof ImportRejected) throw error;
      throw new ImportRejected(`${input.name}: the database cannot be read: ${(error as Error).message}`);
    } finally {
      db.close();
    }
  }

  /** Their `memories` must be a real table with a content column (a view could run anything). */
  private memoryColumns(db: Database.Database, name: string): Set<string> {
    const table = db.prepare("SELECT type FROM sqlite_master WHERE name = 'memories'").get() as
      { type: string } | undefined;
    if (table?.type !== 'table')
      throw new ImportRejected(
        `${name} is a SQLite database without a "memories" table: not an MCP Memory Service store`,
      );
    const columns = new Set(
      (db.prepare('PRAGMA table_info(memories)').all() as { name: string }[]).map((column) => column.name),
    );
    if (!columns.has('content')) throw new ImportRejected(`${name}: the memories table has no content column`);
    return columns;
  }

  private document(memory: ExportedMemory, file: string, position: string): ImportDocument {
    const metadata = parseMetadata(memory.metadata);
    const tags = (Array.isArray(memory.tags) ? memory.tags : (memory.tags ?? '').split(','))
      .map((tag) => tag.trim())
      .filter((tag) => tag !== '' && tag !== 'untagged');
    const type = textOf(memory.memory_type)?.toLowerCase();
    return {
      source: this.source,
      originalId: textOf(memory.content_hash) ?? `${file} ${position}`,
      title: memory.content.trim().split('\n')[0].slice(0, 80),
      createdAt: epochMs(memory.created_at) ?? epochMs(memory.created_at_iso),
      updatedAt: epochMs(memory.updated_at) ?? epochMs(memory.updated_at_iso),
      tags,
      memoryType: type && MEMORY_TYPE.test(type) ? type : 'note',
      metadata,
      file,
      body: { kind: 'record', text: memory.content },
    };
  }
}

const JSON_START = new Set(['{', '[']);
/** Where an export's memories sit: a bare array's elements, or those of `memories`. */
const MEMORY_PATHS: readonly PathPattern[] = [[ELEMENT], ['memories', ELEMENT]];

function firstCharacter(head: Buffer): string | undefined {
  return head.toString('utf8').trimStart()[0];
}

/** The export's memories: `{export_metadata, memories: [...]}`, or a bare array. */
async function* exportedElements(input: ImportInput): AsyncGenerator<JsonArrayElement | UnreadableElement> {
  const options = firstCharacter(input.head) === '{' ? { key: 'memories' } : {};
  for await (const entry of input.entries()) yield* readJsonArray(await entry.open(), input.name, options);
}

function parseMetadata(metadata: ExportedMemory['metadata']): Record<string, unknown> {
  if (metadata === undefined || metadata === null || metadata === '') return {};
  if (typeof metadata !== 'string') return metadata;
  try {
    const parsed: unknown = JSON.parse(metadata);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { original_metadata: metadata };
  } catch {
    return { original_metadata: metadata };
  }
}

function withoutNulls(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null));
}
