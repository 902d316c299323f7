import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { jsonShapeProblem } from '../../common/json-shape';
import { ImportRejected } from '../imports.errors';
import { DetectProbe, Importer, ImportDocument, ImportEntry, ImportSource } from '../imports.types';
import { ImportInput, InputEntry, readEntryBytes } from '../input/import-input';
import { decodeText } from '../input/text-decoding';
import { MAX_HTML_NESTING } from './html-element-rules';
import { htmlMarkdown } from './html-markdown';
import { baseName, noteDocument } from './note-file';
import { pdfText } from './pdf-text';

export const DOCUMENT_FILE = /\.(txt|text|md|markdown|html?|json|csv|pdf)$/i;
/** Documents are read whole (PDF needs it); exports meant to be streamed have their own importers. */
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
const MAX_ROW_CHARS = 60_000;

/** Documents: PDF, plain text, markdown, HTML, JSON and CSV files, alone or in a folder or ZIP. */
export class DocumentsImporter implements Importer {
  readonly source = ImportSource.Documents;
  readonly label = 'Documents (PDF, text, markdown, HTML, JSON, CSV)';
  readonly memoryDirFolder = 'documents';
  readonly generic = true;

  detect({ paths }: DetectProbe): boolean {
    return paths.some((path) => DOCUMENT_FILE.test(path));
  }

  async *read(input: ImportInput): AsyncIterable<ImportEntry> {
    if (input.kind === 'file' && !DOCUMENT_FILE.test(input.name)) {
      throw new ImportRejected(
        `${input.name}: unsupported file type; documents are .pdf, .txt, .md, .html, .json or .csv files`,
      );
    }
    let documents = 0;
    for await (const entry of input.entries((path) => DOCUMENT_FILE.test(path))) {
      documents++;
      try {
        yield* this.readDocument(entry);
      } catch (error) {
        if (input.kind === 'file' || !(error instanceof ImportRejected)) throw error;
        yield { failure: { item: entry.path, reason: error.message } };
      }
    }
    if (documents === 0)
      throw new ImportRejected(`${input.name} holds no documents (.pdf, .txt, .md, .html, .json, .csv)`);
  }

  private async *readDocument(entry: InputEntry): AsyncIterable<ImportEntry> {
    const extension = entry.path.slice(entry.path.lastIndexOf('.') + 1).toLowerCase();
    if (extension === 'csv') {
      yield* this.csvRows(entry);
      return;
    }
    const bytes = await readEntryBytes(entry, MAX_DOCUMENT_BYTES, entry.path);
    if (extension === 'md' || extension === 'markdown') {
      const note = noteDocument(bytes, entry.path, this.source, baseName(entry.path));
      yield { ...note, memoryType: 'document' };
    } else if (extension === 'pdf') {
      const { text, pages } = await pdfText(bytes, entry.path);
      yield this.document(entry.path, baseName(entry.path), { kind: 'text', text, pages }, { pages: pages.length });
    } else if (extension === 'html' || extension === 'htm') {
      const html = decodeText(bytes, entry.path);
      const text = htmlMarkdown(html);
      if (text === undefined) {
        throw new ImportRejected(`${entry.path}: its HTML elements nest more than ${MAX_HTML_NESTING} deep`);
      }
      const title = htmlTitle(html);
      yield this.document(entry.path, title || baseName(entry.path), { kind: 'text', text });
    } else if (extension === 'json') {
      yield* this.jsonDocument(entry.path, decodeText(bytes, entry.path));
    } else {
      yield this.document(entry.path, baseName(entry.path), {
        kind: 'text',
        text: decodeText(bytes, entry.path).trim(),
      });
    }
  }

  /** An array becomes one record per element; anything else one document of its indented text. */
  private *jsonDocument(path: string, text: string): Iterable<ImportEntry> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ImportRejected(`${path}: not valid JSON: ${(error as Error).message}`);
    }
    // Nesting past MAX_JSON_DEPTH would overflow the stack of the JSON.stringify that makes the text.
    const problem = jsonShapeProblem(value);
    if (problem) throw new ImportRejected(`${path}: ${problem}`);
    if (!Array.isArray(value)) {
      yield this.document(path, baseName(path), { kind: 'text', text: JSON.stringify(value, null, 2) });
      return;
    }
    for (const [index, element] of value.entries()) {
      const recordText = typeof element === 'string' ? element : JSON.stringify(element, null, 2);
      if (recordText.trim() === '') continue;
      yield {
        ...this.document(
          path,
          `${baseName(path)} #${index + 1}`,
          { kind: 'record', text: recordText },
          { element: index + 1 },
        ),
        originalId: `${path}#${index + 1}`,
      };
    }
  }

  private async *csvRows(entry: InputEntry): AsyncIterable<ImportEntry> {
    const text = decodeText(await readEntryBytes(entry, MAX_DOCUMENT_BYTES, entry.path), entry.path);
    const rows = Readable.from([text]).pipe(parse({ columns: true, relax_column_count: true, skip_empty_lines: true }));
    let index = 0;
    try {
      for await (const row of rows as AsyncIterable<Record<string, string>>) {
        index++;
        const lines = Object.entries(row)
          .filter(([, value]) => value !== undefined && String(value).trim() !== '')
          .map(([key, value]) => `- ${key}: ${String(value).trim()}`);
        if (lines.length === 0) continue;
        const record = lines.join('\n').slice(0, MAX_ROW_CHARS);
        yield {
          ...this.document(
            entry.path,
            `${baseName(entry.path)} row ${index}`,
            { kind: 'record', text: record },
            { row: index },
          ),
          originalId: `${entry.path}#${index}`,
        };
      }
    } catch (error) {
      throw new ImportRejected(
        `${entry.path}: not a readable CSV table (row ${index + 1}): ${(error as Error).message}`,
      );
    }
  }

  private document(
    path: string,
    title: string,
    body: ImportDocument['body'],
    extra: Record<string, unknown> = {},
  ): ImportDocument {
    return {
      source: this.source,
      originalId: path,
      title,
      tags: ['document'],
      memoryType: 'document',
      metadata: { path, ...extra },
      file: path,
      folder: path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '',
      body,
    };
  }
}

/**
 * The text of the first `<title>` element, found with indexOf rather than a regular expression: a
 * page of unclosed `<title` tags made the pattern scan to the end from each of them.
 */
export function htmlTitle(html: string): string | undefined {
  const lower = html.toLowerCase();
  for (let at = lower.indexOf('<title'); at !== -1; at = lower.indexOf('<title', at + 1)) {
    const after = lower[at + 6];
    if (after !== '>' && after !== ' ' && after !== '\t' && after !== '\n' && after !== '\r' && after !== '/') continue;
    const open = lower.indexOf('>', at);
    if (open === -1) return undefined;
    const close = lower.indexOf('<', open + 1);
    if (close === -1) return undefined;
    if (!lower.startsWith('</title>', close)) return undefined;
    return html.slice(open + 1, close).trim() || undefined;
  }
  return undefined;
}
