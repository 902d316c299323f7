import { ImportInput } from './input/import-input';

/** Every kind of export or file Engram imports; each has exactly one importer. */
export enum ImportSource {
  ChatGpt = 'chatgpt',
  Claude = 'claude',
  Notion = 'notion',
  Markdown = 'markdown',
  Documents = 'documents',
  McpMemoryService = 'mcp-memory-service',
  MemoryGraph = 'memory-graph',
  Engram = 'engram',
}

export const IMPORT_SOURCES = Object.values(ImportSource);

export type ImportTarget = 'memories' | 'memory-dir';

export interface ConversationTurn {
  role: string;
  text: string;
  /** Epoch milliseconds. */
  createdAt?: number;
  id?: string;
}

/** The text of a document in the shape its importer knows it: what chunking and the memory directory work from. */
export type DocumentBody =
  | { kind: 'conversation'; turns: ConversationTurn[] }
  /** `pages` (1-based numbers) lets chunks name the pages they came from (PDF). */
  | { kind: 'text'; text: string; pages?: { number: number; start: number }[] }
  /** Already one memory's worth (a stored memory, a table row): kept whole unless it is too large. */
  | { kind: 'record'; text: string }
  | { kind: 'entity'; name: string; entityType: string; observations: string[] }
  | { kind: 'relation'; from: string; to: string; relationType: string };

/**
 * One thing an export holds — a conversation, a page, a file, a stored memory, a graph entity — with
 * its provenance. Importers yield these; the targets turn them into memories or memory-directory files.
 */
export interface ImportDocument {
  source: ImportSource;
  /** The id the source gave it (conversation id, page id, content hash), else its path in the export. */
  originalId: string;
  title: string;
  /** Epoch milliseconds. */
  createdAt?: number;
  updatedAt?: number;
  tags: string[];
  memoryType: string;
  /** Source-specific provenance and metadata kept with every memory made from it. */
  metadata: Record<string, unknown>;
  /** The file inside the export it came from. */
  file: string;
  body: DocumentBody;
  /** Folder path inside the export (markdown, Notion), for the memory directory. */
  folder?: string;
}

/** A part of the export that could not be read; the rest of the import goes on. */
export interface ImportFailure {
  failure: { item: string; reason: string };
}

export type ImportEntry = ImportDocument | ImportFailure;

export function isFailure(entry: ImportEntry): entry is ImportFailure {
  return (entry as ImportFailure).failure !== undefined;
}

/** What `detect` may look at: cheap to gather, no reading of whole files. */
export interface DetectProbe {
  name: string;
  kind: ImportInput['kind'];
  /** Entry paths of an archive or folder; the file name for a single file. */
  paths: readonly string[];
  /** The first bytes of a single file (empty for archives and folders). */
  head: Buffer;
}

/** How documents are cut into memories. */
export interface ChunkSettings {
  chunkChars: number;
  overlapChars: number;
}

/**
 * One source format: recognises its exports and reads them as a stream of documents. Reading twice
 * gives the same documents in the same order (the first pass validates, the second stores). A file
 * that cannot be read at all throws ImportRejected naming the file and position; a part that cannot
 * be read is yielded as an ImportFailure.
 */
export interface Importer {
  readonly source: ImportSource;
  /** For people: "ChatGPT data export". */
  readonly label: string;
  /** Folder under `entities/` in the memory directory; absent: not offered as a memory-dir import. */
  readonly memoryDirFolder?: string;
  detect(probe: DetectProbe): boolean;
  /**
   * Takes any file of its extensions (documents, markdown notes): a file it recognises by name is first
   * offered to the formats that look past the head (detectInFile).
   */
  readonly generic?: boolean;
  /**
   * For a format whose mark may lie past the head: reads into a single file (streaming, linear in its
   * size) to tell. Asked only of a file that no format but a generic one recognised by its head.
   */
  detectInFile?(input: ImportInput): Promise<boolean>;
  read(input: ImportInput): AsyncIterable<ImportEntry>;
}
