import { ImportRejected } from './imports.errors';
import { DetectProbe, Importer, ImportSource } from './imports.types';
import { ChatGptImporter } from './sources/chatgpt.importer';
import { ClaudeImporter } from './sources/claude.importer';
import { DocumentsImporter } from './sources/documents.importer';
import { EngramExportImporter } from './sources/engram-export.importer';
import { MarkdownImporter } from './sources/markdown.importer';
import { McpMemoryServiceImporter } from './sources/mcp-memory-service.importer';
import { MemoryGraphImporter } from './sources/memory-graph.importer';
import { NotionImporter } from './sources/notion.importer';

/** Every importer, in the order detection asks them: the most specific formats first, documents last. */
export const IMPORTERS: readonly Importer[] = [
  new EngramExportImporter(),
  new McpMemoryServiceImporter(),
  new MemoryGraphImporter(),
  new ChatGptImporter(),
  new ClaudeImporter(),
  new NotionImporter(),
  new MarkdownImporter(),
  new DocumentsImporter(),
];

export function importerFor(source: ImportSource): Importer {
  const importer = IMPORTERS.find((candidate) => candidate.source === source);
  if (!importer) throw new Error(`No importer for source "${source}"`);
  return importer;
}

/** The importer of the first format the probe matches; refused when none does. */
export function detectImporter(probe: DetectProbe): Importer {
  const importer = IMPORTERS.find((candidate) => candidate.detect(probe));
  if (!importer) {
    throw new ImportRejected(
      `${probe.name}: cannot tell what kind of export this is; name the source (${IMPORTERS.map((candidate) => candidate.source).join(', ')})`,
    );
  }
  return importer;
}
