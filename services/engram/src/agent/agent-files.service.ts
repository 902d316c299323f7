import { Injectable } from '@nestjs/common';
import { currentNamespace } from '../auth/request-context';
import { NotFound } from '../common/domain-errors';
import { EventBus } from '../events/event-bus';
import { memoryRelativePath } from '../storage/agent-file.rules';
import { AgentFileStore } from '../storage/agent-file.store';
import { translated, translatedAsync } from './agent-file.errors';
import { StoreLocks } from '../storage/locks/store-locks';
import { LinkResolver, wikiLinksIn } from './memory-dir/memory-link';
import { MemoryFileEntry, MemoryFileView } from './memory-file.view';
import { FILTERS_FILE } from './privacy-filters';

/** A `.filters` write waits this long for a running agent run, restore or backup archive, then answers 503. */
const WRITE_WAIT_MS = 30_000;

/**
 * The agent's markdown memory as people browse it (the dashboard): list, read with links resolved and
 * backlinks found, and the `.filters` privacy rules read and replaced. Always the caller's namespace;
 * paths pass the same rules as the model's; the one write waits for agent runs.
 */
@Injectable()
export class AgentFilesService {
  constructor(
    private readonly store: AgentFileStore,
    private readonly events: EventBus,
    private readonly locks: StoreLocks,
  ) {}

  async list(): Promise<MemoryFileEntry[]> {
    const files = await this.store.list(currentNamespace());
    return files.map(({ path, size, modifiedMs }) => ({ path, size, modified_at: new Date(modifiedMs).toISOString() }));
  }

  async read(path: string): Promise<MemoryFileView> {
    const namespace = currentNamespace();
    const target = translated(() => memoryRelativePath(path));
    const files = await this.store.list(namespace);
    const entry = files.find((file) => file.path === target);
    if (!entry) throw new NotFound(`No memory file "${target}"`);
    const content = await translatedAsync(() => this.store.read(namespace, target));
    const resolver = new LinkResolver(new Set(files.map((file) => file.path)));
    const backlinks: string[] = [];
    for (const other of files) {
      if (other.path === entry.path) continue;
      const text = await this.store.read(namespace, other.path).catch(() => '');
      if (wikiLinksIn(text).some((link) => resolver.resolve(link) === entry.path)) backlinks.push(other.path);
    }
    return {
      path: entry.path,
      size: entry.size,
      modified_at: new Date(entry.modifiedMs).toISOString(),
      content,
      links: wikiLinksIn(content).map((link) => ({ link, target: resolver.resolve(link) ?? null })),
      backlinks,
    };
  }

  /** The privacy rules file as text ('' when there is none). */
  async readFilters(): Promise<string> {
    return (await translatedAsync(() => this.store.readRootFile(currentNamespace(), FILTERS_FILE))) ?? '';
  }

  /** Replaces `.filters` (atomically, between agent runs) and announces it. */
  async writeFilters(content: string): Promise<void> {
    const namespace = currentNamespace();
    // Between agent runs and imports of any process; a restore or a backup's archive step waits (or is waited for).
    await this.locks.writeMemoryDir(
      namespace,
      async () => {
        const { created } = await translatedAsync(() => this.store.writeRootFile(namespace, FILTERS_FILE, content));
        this.events.publish(
          'memory_file_changed',
          { path: FILTERS_FILE, change: created ? 'created' : 'updated' },
          namespace,
        );
      },
      { timeoutMs: WRITE_WAIT_MS },
    );
  }
}
