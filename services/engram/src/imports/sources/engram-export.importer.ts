import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { EXPORT_END, EXPORT_FORMAT, EXPORT_VERSION } from '../../export/memory-export.service';
import { isReservedMemoryType, MAX_TIMESTAMP_MS, MemoryTypeInput } from '../../memories/memory.dto';
import { ImportRejected } from '../imports.errors';
import { DetectProbe, Importer, ImportEntry, ImportSource } from '../imports.types';
import { ImportInput } from '../input/import-input';
import { fieldProblem } from './field-problem';

/** Detection reads the header line from the probe's first bytes; a longer first line is not a header. */
const HEADER_MAX_BYTES = 1024;

/** Epoch milliseconds a Date holds: a later time has no ISO form and would fail the whole import. */
const ExportedTime = z
  .number()
  .int()
  .positive()
  .max(MAX_TIMESTAMP_MS, `epoch milliseconds above ${MAX_TIMESTAMP_MS} are past the valid date range`);

const Header = z.looseObject({ format: z.literal(EXPORT_FORMAT), version: z.number().int() });
const End = z.looseObject({ format: z.literal(EXPORT_END), memories: z.number().int(), sha256: z.string() });
const ExportedMemory = z.looseObject({
  content: z.string().refine((text) => text.trim() !== '', 'content is empty'),
  content_hash: z.string(),
  memory_type: MemoryTypeInput,
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  created_at: ExportedTime,
  updated_at: ExportedTime,
  superseded_by: z.string().nullish(),
  deleted_at: z.number().nullish(),
});

/**
 * Engram's own portable export (GET /api/export, `engram export`): every current memory with its tags,
 * type, metadata and timestamps, into the importing namespace. Versions that were superseded are skipped
 * (they would come back as current), and so are a backup's trash and the memory directory's entries
 * (`memory_file`: Engram writes them from the agent's files alone, which an export does not carry); vectors are recomputed with this store's model. The end line's count
 * and SHA-256 are checked: a cut or altered export is reported as a failure, after what could be read.
 */
export class EngramExportImporter implements Importer {
  readonly source = ImportSource.Engram;
  readonly label = 'Engram export (NDJSON)';

  detect({ kind, head }: DetectProbe): boolean {
    return kind === 'file' && isExportHeader(head);
  }

  async *read(input: ImportInput): AsyncIterable<ImportEntry> {
    if (input.kind !== 'file') throw new ImportRejected(`${input.name}: expected the export file itself`);
    for await (const entry of input.entries()) {
      const lines = createInterface({ input: await entry.open(), crlfDelay: Infinity });
      const digest = createHash('sha256');
      let lineNumber = 0;
      let memories = 0;
      let ended = false;
      for await (const text of lines) {
        lineNumber += 1;
        if (text.trim() === '') continue;
        const value = parseLine(text);
        if (lineNumber === 1) {
          const header = Header.safeParse(value);
          if (!header.success || header.data.version > EXPORT_VERSION) {
            throw new ImportRejected(`${input.name}: not an Engram export of a version this build reads`);
          }
          continue;
        }
        const end = End.safeParse(value);
        if (end.success) {
          ended = true;
          const sha256 = digest.digest('hex');
          if (end.data.memories !== memories || end.data.sha256 !== sha256) {
            yield failure(input.name, 'the end line does not match the memories read: the export was altered');
          }
          break;
        }
        digest.update(`${text}\n`);
        memories += 1;
        const memory = ExportedMemory.safeParse(value);
        if (!memory.success) {
          yield failure(
            `${input.name}, line ${lineNumber}`,
            value === undefined ? 'not JSON' : fieldProblem(memory.error, value),
          );
          continue;
        }
        // Superseded versions would come back as current, a backup's trash as live memories, and memory
        // directory entries as entries of files this store does not have (the store routes refuse that type).
        if (memory.data.superseded_by || memory.data.deleted_at) continue;
        if (isReservedMemoryType(memory.data.memory_type)) continue;
        yield {
          source: this.source,
          originalId: memory.data.content_hash,
          title: memory.data.content.trim().split('\n')[0].slice(0, 80),
          createdAt: memory.data.created_at,
          updatedAt: memory.data.updated_at,
          tags: memory.data.tags,
          memoryType: memory.data.memory_type,
          metadata: memory.data.metadata,
          file: input.name,
          body: { kind: 'record', text: memory.data.content },
        };
      }
      if (!ended) yield failure(input.name, 'the export has no end line: it was cut short');
    }
  }
}

/** The first line is a JSON object whose `format` is ours, however it is spaced or its keys ordered. */
function isExportHeader(head: Buffer): boolean {
  const end = head.indexOf(0x0a);
  const firstLine = head.subarray(0, end === -1 ? head.length : end);
  if (firstLine.length > HEADER_MAX_BYTES) return false;
  const value = parseLine(firstLine.toString('utf8'));
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === EXPORT_FORMAT;
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function failure(item: string, reason: string): ImportEntry {
  return { failure: { item, reason } };
}
