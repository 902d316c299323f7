import { Inject, Injectable, Logger } from '@nestjs/common';
import { runInContext } from '../auth/request-context';
import { DomainError } from '../common/domain-errors';
import { withNulsShown } from '../common/visible-nul';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { MEMORY_FILE_TYPE } from '../memories/memory.dto';
import { MemoryService } from '../memories/memory.service';
import { MemoryRecord } from '../storage/memory.record';
import { AgentFileStore } from '../storage/agent-file.store';
import { FileChangeKind } from './memory-dir/memory-functions';

/** metadata.source of the entries this indexer writes: only such entries are its to replace or remove. */
const ENTRY_SOURCE = 'memory_dir';

/**
 * Mirrors the memory directory into search: each file is one memory of type `memory_file` whose
 * content is the path and the text (cut to the memory size limit), with `metadata.path` naming the
 * file. Applied after each agent run for the files it changed, and in full at start-up for hand edits.
 */
@Injectable()
export class MemoryFileIndexer {
  private readonly logger = new Logger('MemoryFileIndexer');

  constructor(
    private readonly memories: MemoryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly files: AgentFileStore,
  ) {}

  /** Updates the entries of the changed files. */
  async apply(namespace: string, changes: ReadonlyMap<string, FileChangeKind>) {
    if (changes.size === 0) return;
    await this.inNamespace(namespace, async () => {
      const indexed = await this.indexedFiles();
      for (const [path, change] of changes) {
        await this.syncFile(path, change === 'deleted' ? undefined : await this.read(namespace, path), indexed);
      }
    });
  }

  /** Makes the index match the files: new and edited files stored, entries of vanished files removed. */
  async syncAll(namespace: string): Promise<void> {
    await this.inNamespace(namespace, async () => {
      const indexed = await this.indexedFiles();
      const files = await this.files.list(namespace);
      for (const file of files) await this.syncFile(file.path, await this.read(namespace, file.path), indexed);
      const present = new Set(files.map((file) => file.path));
      for (const path of indexed.keys()) if (!present.has(path)) await this.syncFile(path, undefined, indexed);
    });
  }

  private async syncFile(path: string, text: string | undefined, indexed: Map<string, MemoryRecord>): Promise<void> {
    const existing = indexed.get(path);
    try {
      if (text === undefined) {
        if (existing) await this.memories.deleteUnaudited(existing.contentHash, true);
        indexed.delete(path);
        return;
      }
      const content = this.entryContent(path, text);
      if (existing?.content === content) return;
      // Replaced rather than updated: an in-place content update currently loses the row's keyword
      // index entry (the FTS triggers of migration 001 fire re-index before un-index).
      if (existing) await this.memories.deleteUnaudited(existing.contentHash, true);
      indexed.delete(path);
      const metadata = { path, source: ENTRY_SOURCE };
      const memory = await this.memories.store({
        content,
        memory_type: MEMORY_FILE_TYPE,
        tags: ['memory-file'],
        metadata,
      });
      indexed.set(path, memory);
    } catch (error) {
      // A clash with an identical memory, or an embedding outage, must not fail the agent's answer.
      const expected = error instanceof DomainError;
      this.logger[expected ? 'debug' : 'warn']({
        msg: 'memory file not indexed',
        path,
        error: (error as Error).message,
      });
    }
  }

  private async read(namespace: string, path: string): Promise<string | undefined> {
    try {
      return await this.files.read(namespace, path);
    } catch {
      return undefined;
    }
  }

  /**
   * Path first (so searches can name files), then as much of the text as a memory may hold. A NUL,
   * which a memory's content may not hold, is shown as ␀: the file is still found by its words.
   */
  private entryContent(path: string, text: string): string {
    const limit = this.config.limits.maxContentBytes;
    const full = `${path}\n\n${withNulsShown(text)}`;
    if (Buffer.byteLength(full, 'utf8') <= limit) return full;
    const cut = Buffer.from(full, 'utf8')
      .subarray(0, limit - 16)
      .toString('utf8')
      .replace(/\uFFFD$/, '');
    return `${cut}\n…[truncated]`;
  }

  private async indexedFiles(): Promise<Map<string, MemoryRecord>> {
    const found = new Map<string, MemoryRecord>();
    for await (const memory of this.memories.walk({ memory_type: MEMORY_FILE_TYPE })) {
      const path = memory.metadata.path;
      if (typeof path === 'string' && memory.metadata.source === ENTRY_SOURCE) found.set(path, memory);
    }
    return found;
  }

  private inNamespace<T>(namespace: string, work: () => Promise<T>): Promise<T> {
    return runInContext(
      { principal: { kind: 'local', id: 'memory-agent', scopes: ['admin'] }, namespace, clientAddress: 'local' },
      work,
    );
  }
}
