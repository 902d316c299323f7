import { Injectable, Logger } from '@nestjs/common';
import { AuditAction } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { currentNamespace } from '../auth/request-context';
import { NotFound } from '../common/domain-errors';
import { EventBus } from '../events/event-bus';
import { FileActor, FileVersion, FileVersionKind } from '../storage/agent-file-journal';
import { memoryFilePath } from '../storage/agent-file.rules';
import { AgentFileStore } from '../storage/agent-file.store';
import { StoreLocks } from '../storage/locks/store-locks';
import { translated, translatedAsync } from './agent-file.errors';
import { MemoryFileIndexer } from './memory-file.indexer';
import {
  MemoryFileChangeView,
  MemoryFileHistory,
  MemoryFileVersionEntry,
  MemoryFileVersionView,
} from './memory-file.view';

/** A hand edit or revert waits this long for a running agent run, import, restore or backup archive, then 503. */
const WRITE_WAIT_MS = 30_000;

/**
 * The history of the caller's memory files, and the changes people make to them: writing a file by hand
 * and reverting one to an earlier version. Both are journaled by the store (as `hand_edit`, `revert`),
 * mirrored into search at once and announced, between agent runs of the namespace.
 */
@Injectable()
export class AgentFileHistoryService {
  private readonly logger = new Logger('AgentFileHistory');

  constructor(
    private readonly store: AgentFileStore,
    private readonly indexer: MemoryFileIndexer,
    private readonly events: EventBus,
    private readonly audit: AuditService,
    private readonly locks: StoreLocks,
  ) {}

  /** Newest first; 404 for a path that has neither a file nor a history. */
  async history(given: string, page: { limit: number; cursor?: number }): Promise<MemoryFileHistory> {
    const namespace = currentNamespace();
    const path = translated(() => memoryFilePath(given));
    const found = await this.store.history(namespace, path, { limit: page.limit, before: page.cursor });
    if (found.versions.length === 0 && page.cursor === undefined && !(await this.exists(namespace, path))) {
      throw new NotFound(`No memory file "${path}" and no history of one`);
    }
    return {
      path,
      versions: found.versions.map(entryOf),
      ...(found.next === undefined ? {} : { next_cursor: found.next }),
    };
  }

  async version(given: string, id: number): Promise<MemoryFileVersionView> {
    const path = translated(() => memoryFilePath(given));
    const found = await this.store.version(currentNamespace(), path, id);
    if (!found) throw new NotFound(`No version ${id} of memory file "${path}"`);
    return { path, ...entryOf(found.version), content: found.content };
  }

  /** Writes a whole file by hand (what PostgreSQL users have instead of editing MEMORY_DIR). */
  write(given: string, content: string): Promise<MemoryFileChangeView> {
    const path = translated(() => memoryFilePath(given));
    return this.changing(path, 'hand_edit', async (namespace) => {
      const current = await this.current(namespace, path);
      if (current === content) return 'unchanged';
      const { created } = await translatedAsync(() => this.store.write(namespace, path, content, 'hand_edit'));
      return created ? 'created' : 'updated';
    });
  }

  /** Brings back what version `id` held: its content, or the file's absence when that version deleted it. */
  revert(given: string, id: number): Promise<MemoryFileChangeView> {
    const path = translated(() => memoryFilePath(given));
    return this.changing(path, 'revert', async (namespace) => {
      const target = await this.store.version(namespace, path, id);
      if (!target) throw new NotFound(`No version ${id} of memory file "${path}"`);
      const current = await this.current(namespace, path);
      if (current === (target.content ?? undefined)) return 'unchanged';
      if (target.content === null) {
        await translatedAsync(() => this.store.delete(namespace, path, 'revert'));
        return 'deleted';
      }
      const content = target.content;
      const { created } = await translatedAsync(() => this.store.write(namespace, path, content, 'revert'));
      return created ? 'created' : 'updated';
    });
  }

  /** Runs a change between agent runs and imports of the namespace, then indexes, announces and audits it. */
  private async changing(
    path: string,
    actor: FileActor,
    change: (namespace: string) => Promise<FileVersionKind | 'unchanged'>,
  ): Promise<MemoryFileChangeView> {
    const namespace = currentNamespace();
    const made = await this.locks.writeMemoryDir(
      namespace,
      async () => {
        const kind = await change(namespace);
        if (kind !== 'unchanged') {
          await this.indexer
            .apply(namespace, new Map([[path, kind]]))
            .catch((error: Error) => this.logger.warn({ msg: 'memory file indexing failed', error: error.message }));
        }
        return kind;
      },
      { timeoutMs: WRITE_WAIT_MS },
    );
    if (made !== 'unchanged') {
      this.events.publish('memory_file_changed', { path, change: made }, namespace);
      await this.audit.record({
        action: AuditAction.AgentFilesChange,
        outcome: 'success',
        namespace,
        details: { actor, files: [{ path, change: made }] },
      });
    }
    return { path, change: made };
  }

  private async current(namespace: string, path: string): Promise<string | undefined> {
    return (await this.exists(namespace, path)) ? this.store.read(namespace, path) : undefined;
  }

  private async exists(namespace: string, path: string): Promise<boolean> {
    return (await this.store.list(namespace)).some((file) => file.path === path);
  }
}

function entryOf(version: FileVersion): MemoryFileVersionEntry {
  const { id, at, actor, kind, size, diff } = version;
  return { version: id, at: new Date(at).toISOString(), actor, kind, size, diff };
}
