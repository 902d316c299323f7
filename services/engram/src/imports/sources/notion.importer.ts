import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { ImportRejected } from '../imports.errors';
import { DetectProbe, Importer, ImportEntry, ImportSource } from '../imports.types';
import { ImportInput, InputEntry, readEntryBytes } from '../input/import-input';
import { decodeText } from '../input/text-decoding';
import { MAX_NOTE_BYTES } from './markdown.importer';
import { baseName, noteDocument } from './note-file';

/** Notion appends a 32-hex page id to every exported name: "Trip plans 0123456789abcdef0123456789abcdef.md". */
const NOTION_ID = /\s([0-9a-f]{32})(?=(\.\w+|_all\.csv)?$)/;
const NOTION_NAME = /\s[0-9a-f]{32}(\.(md|csv)|_all\.csv)?(\/|$)/;

/** Notion's "Markdown & CSV" export (a ZIP, or its unpacked folder): pages and database rows. */
export class NotionImporter implements Importer {
  readonly source = ImportSource.Notion;
  readonly label = 'Notion export (Markdown & CSV)';
  readonly memoryDirFolder = 'notion_workspace';

  detect({ kind, paths }: DetectProbe): boolean {
    return kind !== 'file' && paths.some((path) => NOTION_NAME.test(path));
  }

  async *read(input: ImportInput): AsyncIterable<ImportEntry> {
    if (input.paths.length > 0 && input.paths.every((path) => /\.zip$/i.test(path))) {
      throw new ImportRejected(
        `${input.name} holds only further ZIP files (${input.paths.slice(0, 3).join(', ')}); import each of them`,
      );
    }
    const paths = new Set(input.paths);
    const wanted = (path: string) => /\.md$/i.test(path) || (/\.csv$/i.test(path) && !shadowedCsv(path, paths));
    for await (const entry of input.entries(wanted)) {
      try {
        if (/\.md$/i.test(entry.path)) yield this.page(entry, await readEntryBytes(entry, MAX_NOTE_BYTES, entry.path));
        else yield* this.databaseRows(entry);
      } catch (error) {
        if (!(error instanceof ImportRejected)) throw error;
        yield { failure: { item: entry.path, reason: error.message } };
      }
    }
  }

  private page(entry: InputEntry, bytes: Buffer): ImportEntry {
    const id = NOTION_ID.exec(entry.path.split('/').pop()!)?.[1];
    const title = baseName(entry.path).replace(NOTION_ID, '').trim() || 'Untitled page';
    const document = noteDocument(bytes, entry.path, this.source, title, { tags: ['notion'], originalId: id });
    document.folder = cleanFolder(document.folder ?? '');
    return document;
  }

  /** Each row of a database becomes one record: "Column: value" lines, the first column as its title. */
  private async *databaseRows(entry: InputEntry): AsyncIterable<ImportEntry> {
    const database = baseName(entry.path).replace(/_all$/, '').replace(NOTION_ID, '').trim();
    const databaseId = NOTION_ID.exec(
      entry.path
        .split('/')
        .pop()!
        .replace(/_all\.csv$/, '.csv'),
    )?.[1];
    const text = decodeText(await readEntryBytes(entry, MAX_NOTE_BYTES, entry.path), entry.path);
    const rows = Readable.from([text]).pipe(parse({ columns: true, relax_column_count: true, skip_empty_lines: true }));
    let index = 0;
    try {
      for await (const row of rows as AsyncIterable<Record<string, string>>) {
        index++;
        const fields = Object.entries(row).filter(([, value]) => value !== undefined && String(value).trim() !== '');
        if (fields.length === 0) continue;
        yield {
          source: this.source,
          originalId: `${databaseId ?? database}:${index}`,
          title: String(fields[0][1]).trim().slice(0, 200),
          tags: ['notion', 'notion-database'],
          memoryType: 'note',
          metadata: { path: entry.path, database, row: index },
          file: entry.path,
          folder: cleanFolder(entry.path.includes('/') ? entry.path.slice(0, entry.path.lastIndexOf('/')) : ''),
          body: {
            kind: 'record',
            text: [`${database}`, ...fields.map(([key, value]) => `- ${key}: ${String(value).trim()}`)].join('\n'),
          },
        };
      }
    } catch (error) {
      throw new ImportRejected(`${entry.path}: not a readable CSV table: ${(error as Error).message}`);
    }
  }
}

/** Notion writes "X.csv" and "X_all.csv" (with hidden columns) for the same database: read the fuller one. */
function shadowedCsv(path: string, paths: ReadonlySet<string>): boolean {
  return !path.endsWith('_all.csv') && paths.has(path.replace(/\.csv$/, '_all.csv'));
}

function cleanFolder(folder: string): string {
  return folder
    .split('/')
    .map((segment) => segment.replace(NOTION_ID, '').trim())
    .filter(Boolean)
    .join('/');
}
