import { Importer } from './imports.types';
import { ChatGptImporter } from './sources/chatgpt.importer';
import { ClaudeImporter } from './sources/claude.importer';
import { DocumentsImporter } from './sources/documents.importer';
import { EngramExportImporter } from './sources/engram-export.importer';
import { MarkdownImporter } from './sources/markdown.importer';
import { McpMemoryServiceImporter } from './sources/mcp-memory-service.importer';
import { MemoryGraphImporter } from './sources/memory-graph.importer';
import { NotionImporter } from './sources/notion.importer';

/**
 * Every importer, in the order detection asks them: the most specific formats first, documents last.
 * Loaded on an import's first use (importer-registry.ts).
 */
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
