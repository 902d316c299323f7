import { ImportRejected } from '../imports.errors';
import { DetectProbe, Importer, ImportEntry, ImportSource } from '../imports.types';
import { ImportInput, readEntryBytes } from '../input/import-input';
import { DOCUMENT_FILE } from './documents.importer';
import { baseName, noteDocument } from './note-file';

export const MARKDOWN_FILE = /\.(md|markdown)$/i;
/** A note larger than this is not a note; documents this large go through the documents importer. */
export const MAX_NOTE_BYTES = 16 * 1024 * 1024;

/** A markdown or Obsidian vault: a folder or ZIP of `.md` notes (or one note). Other files are left out. */
export class MarkdownImporter implements Importer {
  readonly source = ImportSource.Markdown;
  readonly label = 'Markdown or Obsidian notes';
  readonly memoryDirFolder = 'notes';
  readonly generic = true;

  /** Notes only: a mix with PDFs or HTML is a documents import. */
  detect({ paths }: DetectProbe): boolean {
    const documents = paths.filter((path) => DOCUMENT_FILE.test(path));
    return documents.length > 0 && documents.every((path) => MARKDOWN_FILE.test(path));
  }

  async *read(input: ImportInput): AsyncIterable<ImportEntry> {
    let notes = 0;
    for await (const entry of input.entries((path) => MARKDOWN_FILE.test(path) || input.kind === 'file')) {
      notes++;
      try {
        yield noteDocument(
          await readEntryBytes(entry, MAX_NOTE_BYTES, entry.path),
          entry.path,
          this.source,
          baseName(entry.path),
        );
      } catch (error) {
        if (input.kind === 'file' || !(error instanceof ImportRejected)) throw error;
        yield { failure: { item: entry.path, reason: error.message } };
      }
    }
    if (notes === 0) throw new ImportRejected(`${input.name} holds no markdown notes (.md)`);
  }
}
