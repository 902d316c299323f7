import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { FSWatcher, mkdirSync, watch } from 'node:fs';
import { sep } from 'node:path';
import { isNamespace } from '../../auth/namespace';
import { EventBus } from '../../events/event-bus';
import { AgentFileStore } from '../../storage/agent-file.store';
import { StoreLocks } from '../../storage/locks/store-locks';
import { MemoryFileIndexer } from '../memory-file.indexer';
import { FolderAgentFileStore } from './folder-agent-file.store';

/** Changes within this long of each other are handled together (an editor's save is several events). */
export const SETTLE_MS = 200;

/**
 * Hand edits in MEMORY_DIR reach the history and search without a restart: the folder is watched
 * (recursively), and a namespace with changes is compared with its journal between agent runs and
 * imports (which the watcher also sees, and finds already journaled). At start-up every namespace is
 * compared once, for edits made while the service was down, after the temporary files of writes a crash
 * cut short are removed (those untouched for 15 minutes: younger ones may be another process's writes). Only for the folder store: on PostgreSQL
 * the files are in the database and change only through the service.
 */
@Injectable()
export class MemoryFolderWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MemoryFolderWatcher');
  private readonly stopping = new AbortController();
  private readonly pending = new Set<string>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: AgentFileStore,
    private readonly indexer: MemoryFileIndexer,
    private readonly events: EventBus,
    private readonly locks: StoreLocks,
  ) {}

  onApplicationBootstrap(): void {
    if (!(this.store instanceof FolderAgentFileStore)) return;
    const folder = this.store;
    try {
      mkdirSync(folder.memoryDir, { recursive: true });
      // Not persistent: a one-off command that opened the app must still be able to exit.
      this.watcher = watch(folder.memoryDir, { recursive: true, persistent: false }, (_event, filename) =>
        this.noticed(filename),
      );
      this.watcher.on('error', (error) =>
        this.logger.warn({ msg: 'memory folder watch failed', error: error.message }),
      );
    } catch (error) {
      // A folder that cannot be watched (read-only, out of inotify watches) leaves hand edits to the next start.
      this.logger.warn({ msg: 'memory folder not watched', error: (error as Error).message });
    }
    this.work = this.removeCrashLeftovers(folder)
      .then(() => folder.namespaces())
      .then((namespaces) => this.recordHandEdits(folder, namespaces))
      .catch((error: Error) => this.logger.warn({ msg: 'memory folder check failed', error: error.message }));
  }

  async onApplicationShutdown(): Promise<void> {
    this.watcher?.close();
    clearTimeout(this.timer);
    this.stopping.abort();
    await this.work;
  }

  /** Temporary files of writes cut short by a crash (of any process on the folder), once surely abandoned. */
  private async removeCrashLeftovers(folder: FolderAgentFileStore): Promise<void> {
    try {
      const removed = await folder.removeCrashLeftovers();
      if (removed > 0) this.logger.log({ msg: 'removed temporary files left by writes a crash cut short', removed });
    } catch (error) {
      this.logger.warn({ msg: 'memory folder leftovers not removed', error: (error as Error).message });
    }
  }

  /** `filename` is relative to MEMORY_DIR: its first segment names the namespace. */
  private noticed(filename: string | Buffer | null): void {
    const namespace = filename?.toString().split(sep)[0];
    if (!namespace || !isNamespace(namespace) || this.stopping.signal.aborted) return;
    this.pending.add(namespace);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const namespaces = [...this.pending];
      this.pending.clear();
      this.work = this.work.then(() => this.recordHandEdits(this.store as FolderAgentFileStore, namespaces));
    }, SETTLE_MS);
  }

  private async recordHandEdits(folder: FolderAgentFileStore, namespaces: readonly string[]): Promise<void> {
    for (const namespace of namespaces) {
      if (this.stopping.signal.aborted) return;
      try {
        const changes = await this.locks.writeMemoryDir(
          namespace,
          async () => {
            const found = await folder.recordHandEdits(namespace);
            if (found.size > 0) await this.indexer.apply(namespace, found);
            return found;
          },
          { signal: this.stopping.signal },
        );
        for (const [path, change] of changes) this.events.publish('memory_file_changed', { path, change }, namespace);
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        this.logger.warn({ msg: 'hand edits not recorded', namespace, error: (error as Error).message });
      }
    }
  }
}
