import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryStore } from '../storage/memory.store';
import { SearchStore } from '../storage/search.store';
import { SettingsStore } from '../storage/settings.store';
import { ExportInput } from './export.dto';

/** Memories read per step: the export holds one page (and its vectors) at a time, whatever the store's size. */
const EXPORT_PAGE = 500;

export const EXPORT_FORMAT = 'engram-export';
export const EXPORT_END = 'engram-export-end';
export const EXPORT_VERSION = 1;

/**
 * The portable export: NDJSON, one header line (format, version, time, namespace, the embedding model when
 * vectors are included), one line per live memory (superseded versions too, with their links; a backup
 * asks for the trash as well, whose lines carry `deleted_at`), and an end line with the count and the
 * SHA-256 of the memory lines, so a reader knows the export is whole.
 */
@Injectable()
export class MemoryExportService {
  constructor(
    private readonly memories: MemoryStore,
    private readonly search: SearchStore,
    private readonly settings: SettingsStore,
  ) {}

  async *lines(input: ExportInput & { trash?: boolean }): AsyncGenerator<string> {
    const model = input.vectors ? await this.settings.embeddingModel() : undefined;
    yield line({
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exported_at: new Date().toISOString(),
      namespace: input.namespace ?? null,
      embedding_model: model ? { id: model.modelId, dimension: model.dimension } : null,
    });
    const digest = createHash('sha256');
    let count = 0;
    for (let afterId = 0; ;) {
      const page = await this.memories.exportPage(input.namespace, afterId, EXPORT_PAGE, input.trash);
      if (page.length === 0) break;
      const vectors = model ? await this.search.embeddingsOf(page.map((memory) => memory.id)) : undefined;
      for (const memory of page) {
        const text = line(exportedMemory(memory, vectors?.get(memory.id)));
        digest.update(text);
        count += 1;
        yield text;
      }
      afterId = page[page.length - 1].id;
    }
    yield line({ format: EXPORT_END, memories: count, sha256: digest.digest('hex') });
  }
}

function exportedMemory(memory: MemoryRecord, vector: Float32Array | undefined) {
  return {
    namespace: memory.namespace,
    content_hash: memory.contentHash,
    content: memory.content,
    memory_type: memory.memoryType,
    tags: memory.tags,
    metadata: memory.metadata,
    created_at: memory.createdAt,
    updated_at: memory.updatedAt,
    superseded_by: memory.supersededBy,
    supersedes: memory.supersedes,
    valid_to: memory.validTo,
    ...(memory.deletedAt !== null ? { deleted_at: memory.deletedAt } : {}),
    ...(vector ? { embedding: Array.from(vector) } : {}),
  };
}

function line(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
