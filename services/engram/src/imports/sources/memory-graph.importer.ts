import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ImportRejected } from '../imports.errors';
import { DetectProbe, Importer, ImportEntry, ImportSource } from '../imports.types';
import { ImportInput } from '../input/import-input';
import { JsonHead } from '../input/json-head';
import { looksBinary } from '../input/text-decoding';
import { fieldProblem } from './field-problem';

const MAX_LINE_CHARS = 16 * 1024 * 1024;

const Entity = z.looseObject({
  type: z.literal('entity'),
  name: z.string().min(1),
  entityType: z.string().default('thing'),
  observations: z.array(z.string()).default([]),
});
const Relation = z.looseObject({
  type: z.literal('relation'),
  from: z.string().min(1),
  to: z.string().min(1),
  relationType: z.string().min(1),
});
const GraphLine = z.discriminatedUnion('type', [Entity, Relation]);

/**
 * The official MCP memory server's knowledge graph (`memory.jsonl`, `@modelcontextprotocol/server-memory`):
 * one JSON object per line, entities with observations and relations between them.
 */
export class MemoryGraphImporter implements Importer {
  readonly source = ImportSource.MemoryGraph;
  readonly label = 'MCP memory server knowledge graph (JSONL)';
  readonly memoryDirFolder = 'memory_graph';

  detect({ kind, head }: DetectProbe): boolean {
    if (kind !== 'file') return false;
    // The first line's own `type`, not one an observation quotes.
    const newline = head.indexOf(0x0a);
    const firstLine = JsonHead.of(newline === -1 ? head : head.subarray(0, newline));
    return firstLine.has([], 'type', 'entity') || firstLine.has([], 'type', 'relation');
  }

  async *read(input: ImportInput): AsyncIterable<ImportEntry> {
    if (input.kind !== 'file') throw new ImportRejected(`${input.name}: expected the memory.jsonl file itself`);
    if (looksBinary(input.head)) throw new ImportRejected(`${input.name} looks like binary data, not JSON lines`);
    for await (const entry of input.entries()) {
      let number = 0;
      for await (const line of createInterface({ input: await entry.open(), crlfDelay: Infinity })) {
        number++;
        if (line.trim() === '') continue;
        const parsed = parseGraphLine(line);
        if ('reason' in parsed) {
          yield { failure: { item: `${input.name}, line ${number}`, reason: parsed.reason } };
          continue;
        }
        yield this.document(parsed.line, input.name, number);
      }
    }
  }

  private document(line: z.infer<typeof GraphLine>, file: string, number: number): ImportEntry {
    const common = { source: this.source, file, metadata: { line: number } };
    if (line.type === 'entity') {
      return {
        ...common,
        originalId: line.name,
        title: line.name,
        tags: ['memory-graph', line.entityType],
        memoryType: 'entity',
        body: { kind: 'entity', name: line.name, entityType: line.entityType, observations: line.observations },
      };
    }
    return {
      ...common,
      originalId: `${line.from} -${line.relationType}-> ${line.to}`,
      title: `${line.from} ${line.relationType} ${line.to}`,
      tags: ['memory-graph', 'relation'],
      memoryType: 'relation',
      body: { kind: 'relation', from: line.from, to: line.to, relationType: line.relationType },
    };
  }
}

/** One line of the graph, or why it is not one (each line stands alone: a bad one fails by itself). */
function parseGraphLine(text: string): { line: z.infer<typeof GraphLine> } | { reason: string } {
  if (text.length > MAX_LINE_CHARS) return { reason: `longer than ${MAX_LINE_CHARS} characters` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { reason: `not valid JSON: ${(error as Error).message}` };
  }
  const parsed = GraphLine.safeParse(value);
  return parsed.success
    ? { line: parsed.data }
    : { reason: `not an entity or relation: ${fieldProblem(parsed.error, value)}` };
}
