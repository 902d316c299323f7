import { Injectable } from '@nestjs/common';
import { contentHash } from './content-hash';
import { StoreMemoryInput } from './memory.dto';
import { MemoryService, StoreOutcome } from './memory.service';
import { StoreSessionInput } from './session.dto';

export const SESSION_CHUNK_TYPE = 'session_chunk';

export interface SessionOutcome {
  session: StoreOutcome;
  /** Turn windows, each pointing back to the session (metadata.session_hash), with its 1-based turn range. */
  chunks: (StoreOutcome & { turns: [number, number] })[];
}

/**
 * Conversations as memories: the session (turns as "[role] content" lines) and, for retrieval of one part
 * of a long conversation, overlapping windows of turns that name the session they come from. All stored
 * in one transaction; posting the same session again adds nothing.
 */
@Injectable()
export class SessionService {
  constructor(private readonly memories: MemoryService) {}

  async storeSession(input: StoreSessionInput, extraTags: readonly string[] = []): Promise<SessionOutcome> {
    const lines = input.turns.map((turn) => `[${turn.role}] ${turn.content.trim()}`);
    const content = lines.join('\n');
    const tags = [
      ...(input.tags ?? []),
      ...(input.session_id === undefined ? [] : [`session:${input.session_id.toLowerCase()}`]),
    ];
    const sessionFields = input.session_id === undefined ? {} : { session_id: input.session_id };
    const session: StoreMemoryInput = {
      content,
      tags: [...new Set(tags)].sort(),
      memory_type: input.memory_type ?? 'session',
      metadata: { ...input.metadata, ...sessionFields, turns: input.turns.length },
    };
    const windows = turnWindows(lines.length, input.window, input.overlap);
    const chunks: StoreMemoryInput[] = windows.map(([from, to]) => ({
      content: lines.slice(from - 1, to).join('\n'),
      tags: session.tags,
      memory_type: SESSION_CHUNK_TYPE,
      metadata: { ...sessionFields, session_hash: contentHash(content), turns: [from, to] },
    }));
    const [stored, ...storedChunks] = await this.memories.storeMany([session, ...chunks], extraTags, (index) =>
      index === 0 ? 'session' : `turn window ${index}`,
    );
    return { session: stored, chunks: storedChunks.map((chunk, i) => ({ ...chunk, turns: windows[i] })) };
  }
}

/** 1-based inclusive turn ranges of `size` turns, each starting `size - overlap` after the last. */
export function turnWindows(turns: number, size: number, overlap: number): [number, number][] {
  if (turns <= size) return [];
  const windows: [number, number][] = [];
  for (let start = 1; ; start += size - overlap) {
    const end = Math.min(turns, start + size - 1);
    windows.push([start, end]);
    if (end === turns) return windows;
  }
}
