import { Inject, Injectable } from '@nestjs/common';
import { currentNamespace } from '../auth/request-context';
import { ContentTooLarge, InvalidInput, NotFound } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EventBus } from '../events/event-bus';
import { StoreLocks } from '../storage/locks/store-locks';
import {
  EntryMissing,
  LimitExceeded,
  MemoryDirectoryRepository,
  namespaceDirectory,
} from './memory-dir/memory-directory.repository';
import { LinkResolver, wikiLinksIn } from './memory-dir/memory-link';
import { PathRefused } from './memory-dir/memory-path';
import { MemoryFileEntry, MemoryFileView } from './memory-file.view';
import { FILTERS_FILE } from './privacy-filters';

/** A `.filters` write waits this long for a running agent run, restore or backup archive, then answers 503. */
const WRITE_WAIT_MS = 30_000;

/**
 * The agent's markdown memory as people browse it (the dashboard): list, read with links resolved and
 * backlinks found, and the `.filters` privacy rules read and replaced. Always the caller's namespace;
 * paths pass the same containment rules as the model's; the one write waits for agent runs.
 */
@Injectable()
export class AgentFilesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: EventBus,
    private readonly locks: StoreLocks,
  ) {}

  async list(): Promise<MemoryFileEntry[]> {
    const files = await this.files(this.directory());
    return files.map(({ path, size, modifiedMs }) => ({ path, size, modified_at: new Date(modifiedMs).toISOString() }));
  }

  async read(path: string): Promise<MemoryFileView> {
    const directory = this.directory();
    if (!(await this.exists(directory))) throw new NotFound(`No memory file "${path}"`);
    const target = translated(() => directory.resolve(path));
    const files = await directory.listFiles();
    const entry = files.find((file) => file.path === target.relative);
    if (!entry) throw new NotFound(`No memory file "${target.relative}"`);
    const content = await translatedAsync(() => directory.readText(target));
    const resolver = new LinkResolver(new Set(files.map((file) => file.path)));
    const backlinks: string[] = [];
    for (const other of files) {
      if (other.path === entry.path) continue;
      const text = await directory.readText(directory.resolve(other.path)).catch(() => '');
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
    const directory = this.directory();
    if (!(await this.exists(directory))) return '';
    const path = translated(() => directory.rootFile(FILTERS_FILE));
    return (await directory.kindOf(path)) === 'file' ? directory.readText(path) : '';
  }

  /** Replaces `.filters` (atomically, between agent runs) and announces it. */
  async writeFilters(content: string): Promise<void> {
    const namespace = currentNamespace();
    const directory = namespaceDirectory(this.config.memoryDir, namespace);
    // Between agent runs and imports of any process; a restore or a backup's archive step waits (or is waited for).
    await this.locks.writeMemoryDir(
      namespace,
      async () => {
        await directory.ensureRoot();
        const { created } = await translatedAsync(() => directory.writeText(directory.rootFile(FILTERS_FILE), content));
        this.events.publish(
          'memory_file_changed',
          { path: FILTERS_FILE, change: created ? 'created' : 'updated' },
          namespace,
        );
      },
      { timeoutMs: WRITE_WAIT_MS },
    );
  }

  private directory(): MemoryDirectoryRepository {
    return namespaceDirectory(this.config.memoryDir, currentNamespace());
  }

  private async files(directory: MemoryDirectoryRepository) {
    return (await this.exists(directory)) ? directory.listFiles() : [];
  }

  /** A namespace that never had a memory file has no folder yet: it is empty, not an error. */
  private async exists(directory: MemoryDirectoryRepository): Promise<boolean> {
    return (await directory.kindOf({ relative: '', absolute: directory.root })) === 'dir';
  }
}

/** The memory folder's errors as the REST API's: a refused path is bad input, a limit 413, a missing file 404. */
function translate(error: unknown): never {
  if (error instanceof PathRefused) throw new InvalidInput(error.message);
  if (error instanceof LimitExceeded) throw new ContentTooLarge(error.message);
  if (error instanceof EntryMissing) throw new NotFound(error.message);
  throw error;
}

function translated<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    translate(error);
  }
}

async function translatedAsync<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    translate(error);
  }
}
