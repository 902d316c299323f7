import { StoreMemoryInput } from '../memories/memory.dto';
import { ChunkSettings, ConversationTurn, ImportDocument } from './imports.types';
import { chunkText } from './text/text-chunker';

/** A memory to store, with where it came from for failure reports. */
export interface ImportItem {
  memory: StoreMemoryInput;
  /** "conversations.json: Trip planning, part 2" */
  label: string;
}

export interface ItemSettings extends ChunkSettings {
  /** ENGRAM_MAX_CONTENT_BYTES: chunks are cut further if their UTF-8 form would exceed it. */
  maxContentBytes: number;
}

const MAX_TAGS_KEPT = 32;

/**
 * The memories a document becomes. Conversations: one memory per exchange (a user message and the
 * replies to it, as `[role] text` lines), long exchanges chunked. Text: chunks at paragraph and sentence
 * boundaries with overlap. Records, entities and relations: one memory each. Every memory carries the
 * provenance in `metadata.import` (source, original id, title, file, chunk), so a re-import of the
 * same file yields the same contents and content-hash deduplication stores nothing twice.
 */
export function memoryItems(document: ImportDocument, settings: ItemSettings): ImportItem[] {
  const pieces = piecesOf(document, settings);
  return pieces.map((piece, index) => {
    const chunk = pieces.length > 1 ? { chunk: index + 1, chunks: pieces.length } : {};
    const metadata: Record<string, unknown> = {
      ...document.metadata,
      ...piece.metadata,
      import: {
        source: document.source,
        original_id: document.originalId,
        title: document.title,
        file: document.file,
        ...(document.createdAt ? { original_created_at: new Date(document.createdAt).toISOString() } : {}),
        ...(document.updatedAt ? { original_updated_at: new Date(document.updatedAt).toISOString() } : {}),
        ...chunk,
      },
    };
    if (document.body.kind === 'conversation') {
      Object.assign(metadata, { conversation_id: document.originalId, conversation_title: document.title });
    }
    return {
      label: `${document.file}: ${document.title}${pieces.length > 1 ? `, part ${index + 1}` : ''}`,
      memory: {
        content: piece.text,
        tags: normaliseTags(document.tags),
        memory_type: document.memoryType,
        metadata,
        created_at: piece.createdAt ?? document.createdAt,
      },
    };
  });
}

interface Piece {
  text: string;
  createdAt?: number;
  metadata?: Record<string, unknown>;
}

function piecesOf(document: ImportDocument, settings: ItemSettings): Piece[] {
  const { body } = document;
  switch (body.kind) {
    case 'conversation':
      return exchanges(body.turns).flatMap((turns) => {
        const text = turns.map((turn) => `[${turn.role}] ${turn.text}`).join('\n');
        const messageIds = turns.map((turn) => turn.id).filter(Boolean);
        return fit(text, settings).map((part) => ({
          text: part,
          createdAt: turns[0].createdAt,
          metadata: messageIds.length > 0 ? { message_ids: messageIds.slice(0, 20) } : {},
        }));
      });
    case 'text':
      return chunkText(body.text, settings)
        .flatMap((chunk) =>
          fit(chunk.text, settings).map((text) => ({ text, pages: pagesOf(body.pages, chunk.start, chunk.end) })),
        )
        .map(({ text, pages }) => ({ text, metadata: pages ? { pages } : {} }));
    case 'record':
      return fit(body.text.trim(), settings).map((text) => ({ text }));
    case 'entity':
      return fit(
        [`${body.name} (${body.entityType})`, ...body.observations.map((line) => `- ${line}`)].join('\n'),
        settings,
      ).map((text) => ({ text, metadata: { entity: body.name, entity_type: body.entityType } }));
    case 'relation':
      return [
        {
          text: `${body.from} ${body.relationType} ${body.to}`,
          metadata: { relation: { from: body.from, to: body.to, type: body.relationType } },
        },
      ];
  }
}

/** A user message and the replies that follow it; turns before the first user message stand alone. */
function exchanges(turns: readonly ConversationTurn[]): ConversationTurn[][] {
  const groups: ConversationTurn[][] = [];
  for (const turn of turns) {
    if (turn.role === 'user' || groups.length === 0) groups.push([turn]);
    else groups[groups.length - 1].push(turn);
  }
  return groups;
}

/** Text that already fits stays whole; longer text is chunked; a chunk over the byte limit is cut. */
function fit(text: string, settings: ItemSettings): string[] {
  if (text.trim() === '') return [];
  const parts = text.length <= settings.chunkChars ? [text] : chunkText(text, settings).map((chunk) => chunk.text);
  return parts.flatMap((part) => splitBytes(part, settings.maxContentBytes));
}

/** Cuts text into pieces of at most `maxBytes` UTF-8 bytes, never inside a character. */
function splitBytes(text: string, maxBytes: number): string[] {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return [text];
  const parts: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length;) {
    const codePoint = text.codePointAt(i)!;
    const size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      parts.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += codePoint > 0xffff ? 2 : 1;
  }
  parts.push(text.slice(start));
  return parts.filter((part) => part.trim() !== '');
}

function pagesOf(
  pages: { number: number; start: number }[] | undefined,
  start: number,
  end: number,
): number[] | undefined {
  if (!pages || pages.length === 0) return undefined;
  const first = [...pages].reverse().find((page) => page.start <= start) ?? pages[0];
  const last = [...pages].reverse().find((page) => page.start < end) ?? first;
  return first.number === last.number ? [first.number] : [first.number, last.number];
}

/** Tags as the memory store normalises them, without empties, at most MAX_TAGS_KEPT. */
function normaliseTags(tags: readonly string[]): string[] {
  const cleaned = tags
    .map((tag) => tag.trim().replace(/\s+/g, ' ').toLowerCase().slice(0, 100))
    .filter((tag) => tag !== '');
  return [...new Set(cleaned)].slice(0, MAX_TAGS_KEPT).sort();
}
