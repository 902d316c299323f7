import { ImportDocument, ImportSource } from '../imports.types';
import { decodeText } from '../input/text-decoding';
import { listOf, splitFrontMatter } from '../text/front-matter';
import { markdownOutline } from '../text/markdown-outline';
import { epochMs, textOf } from './source-values';

/**
 * A markdown note as a document: front matter `tags`/`tag`/`keywords` become tags, `title`, `aliases`
 * and dates are kept, the body (with its `[[links]]` untouched) is the text. The title falls back to
 * the first `# heading` (outside code), then to the file name.
 */
export function noteDocument(
  bytes: Buffer,
  path: string,
  source: ImportSource,
  fileTitle: string,
  extra: { tags?: string[]; originalId?: string } = {},
): ImportDocument {
  const { data, body } = splitFrontMatter(decodeText(bytes, path));
  const { heading, links } = markdownOutline(body);
  const tags = [...listOf(data.tags), ...listOf(data.tag), ...listOf(data.keywords)];
  const aliases = listOf(data.aliases);
  const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  return {
    source,
    originalId: extra.originalId ?? path,
    title: textOf(typeof data.title === 'string' ? data.title : undefined) ?? heading ?? fileTitle,
    createdAt: epochMs(data.created ?? data.date),
    updatedAt: epochMs(data.updated ?? data.modified),
    tags: [...(extra.tags ?? []), ...tags],
    memoryType: 'note',
    metadata: { path, ...(links.length > 0 ? { links } : {}), ...(aliases.length > 0 ? { aliases } : {}) },
    file: path,
    folder,
    body: { kind: 'text', text: body.trim() },
  };
}

/** The file name without folders and extension. */
export function baseName(path: string): string {
  return path
    .split('/')
    .pop()!
    .replace(/\.[^.]+$/, '');
}
