import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { EXPORT_END, EXPORT_FORMAT, EXPORT_VERSION } from '../export/memory-export.service';

const Header = z.looseObject({
  format: z.literal(EXPORT_FORMAT),
  version: z.number().int().max(EXPORT_VERSION),
  embedding_model: z.object({ id: z.string(), dimension: z.number().int().positive() }).nullable(),
});
export type ExportHeader = z.infer<typeof Header>;

const ExportedMemory = z.looseObject({
  namespace: z.string(),
  content_hash: z.string(),
  content: z.string(),
  memory_type: z.string(),
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  superseded_by: z.string().nullable(),
  supersedes: z.string().nullable(),
  valid_to: z.number().int().nullable(),
  /** Set on the trash's lines (tombstones), which have no vector. */
  deleted_at: z.number().int().optional(),
  embedding: z.array(z.number()).optional(),
});
export type ExportedMemory = z.infer<typeof ExportedMemory>;

const End = z.looseObject({ format: z.literal(EXPORT_END), memories: z.number().int(), sha256: z.string() });

/** An export file a backup cannot be restored from; the message names the line and the problem. */
export class ExportFileInvalid extends Error {}

interface ExportVisitor {
  /** Called once, before any memory: a visitor may refuse the file here, before anything is changed. */
  header(header: ExportHeader): Promise<void> | void;
  memory(memory: ExportedMemory): Promise<void> | void;
}

/**
 * Reads a backup's export (memory-export.service.ts, written with vectors and the trash) line by line in
 * bounded memory: the header, every memory line (a live one with its vector, of the header's dimension;
 * a deleted one without), and the end
 * line, whose count and SHA-256 must match the memory lines read. Throws ExportFileInvalid at the
 * first problem; a visitor working in a transaction rolls it back then.
 */
export async function readExportFile(path: string, visitor: ExportVisitor): Promise<{ memories: number }> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  const digest = createHash('sha256');
  let header: ExportHeader | undefined;
  let lineNumber = 0;
  let memories = 0;
  for await (const text of lines) {
    lineNumber += 1;
    const value = parseLine(text, lineNumber);
    if (!header) {
      header = parse(Header, value, `line ${lineNumber} is not the header of an export this build reads`);
      await visitor.header(header);
      continue;
    }
    if ((value as { format?: unknown }).format === EXPORT_END) {
      const end = parse(End, value, `line ${lineNumber} is a malformed end line`);
      if (end.memories !== memories || end.sha256 !== digest.digest('hex')) {
        throw new ExportFileInvalid('the end line does not match the memory lines: the export was altered');
      }
      return { memories };
    }
    digest.update(`${text}\n`);
    memories += 1;
    const memory = parse(ExportedMemory, value, `line ${lineNumber} is not a memory`);
    const wanted = memory.deleted_at === undefined ? header.embedding_model?.dimension : undefined;
    if (memory.embedding?.length !== wanted) {
      throw new ExportFileInvalid(`line ${lineNumber}: a live memory needs a vector of the header's dimension`);
    }
    await visitor.memory(memory);
  }
  throw new ExportFileInvalid(header ? 'the export has no end line: it was cut short' : 'the file is empty');
}

function parseLine(text: string, lineNumber: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ExportFileInvalid(`line ${lineNumber} is not JSON`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, problem: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ExportFileInvalid(problem);
  return parsed.data;
}
