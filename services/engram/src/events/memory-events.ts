import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { MemoryRecord } from '../storage/memory.record';
import { EventBus } from './event-bus';

/** Characters of content a memory event carries unless ENGRAM_EVENTS_INCLUDE_CONTENT is set. */
export const PREVIEW_CHARS = 120;

/**
 * The memory events, shaped in one place for every write path: hash, preview, tags and type (full content
 * only when configured), so SSE clients can show a change without fetching it and never receive more than
 * a preview by default.
 */
@Injectable()
export class MemoryEvents {
  constructor(
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `restored`: the memory came back from the trash rather than being stored anew. */
  created(memory: MemoryRecord, { restored = false } = {}): void {
    const payload = this.summary(memory);
    if (restored) payload.restored = true;
    this.bus.publish('memory_created', payload, memory.namespace);
  }

  /** `previousHash` names the memory before an edit that changed its content (and so its hash). */
  updated(memory: MemoryRecord, previousHash: string): void {
    const payload = this.summary(memory);
    if (previousHash !== memory.contentHash) payload.previous_hash = previousHash;
    this.bus.publish('memory_updated', payload, memory.namespace);
  }

  /** `previous` stopped holding when `current` replaced it; both keep their content. */
  superseded(previous: MemoryRecord, current: MemoryRecord): void {
    this.bus.publish(
      'memory_superseded',
      {
        ...this.summary(previous),
        superseded_by: current.contentHash,
        valid_to: new Date(previous.validTo ?? Date.now()).toISOString(),
      },
      previous.namespace,
    );
  }

  deleted(memory: MemoryRecord, hard: boolean): void {
    this.bus.publish('memory_deleted', { ...this.summary(memory), hard }, memory.namespace);
  }

  private summary(memory: MemoryRecord): Record<string, unknown> {
    const summary: Record<string, unknown> = {
      content_hash: memory.contentHash,
      preview: preview(memory.content),
      tags: memory.tags,
      memory_type: memory.memoryType,
    };
    if (this.config.events.includeContent) summary.content = memory.content;
    return summary;
  }
}

/** The start of the content on one line, cut at a character (not inside a surrogate pair). */
export function preview(content: string): string {
  const line = content.replace(/\s+/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length <= PREVIEW_CHARS ? line : `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…`;
}
