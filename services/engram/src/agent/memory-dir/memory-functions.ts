import { Logger } from '@nestjs/common';
import { EntryMissing, LimitExceeded, PathRefused } from '../../storage/agent-file.rules';
import { MemoryDirectoryRepository } from './memory-directory.repository';
import { bareLinkName, linkCandidates } from './memory-link';
import { MemoryPath } from './memory-path';
import { renderTree } from './memory-tree';

/** The ten names the model was trained on, in the order the prompt lists them. */
export const MEMORY_FUNCTION_NAMES = [
  'create_file',
  'update_file',
  'read_file',
  'delete_file',
  'check_if_file_exists',
  'create_dir',
  'list_files',
  'check_if_dir_exists',
  'get_size',
  'go_to_link',
] as const;

export type MemoryFunctionName = (typeof MEMORY_FUNCTION_NAMES)[number];

/** What a call hands back to the Python stub: a value, or an exception the stub raises. */
export type CallOutcome = { value: string | number | boolean } | { raise: { type: string; message: string } };

export type FileChangeKind = 'created' | 'updated' | 'deleted';

/**
 * The memory API behind the sandbox: each call from model-written code arrives here (over the
 * sandbox channel) and is answered with the trained return conventions — `True`/`False`, text or a
 * string starting `Error:`; only `get_size` raises, on a missing path. Nothing here throws: refused
 * paths, size limits and I/O errors all become the function's failure value. Writes are recorded in
 * `changes` so the caller can announce, index and report them.
 */
export class MemoryFunctions {
  private readonly logger = new Logger('MemoryFunctions');
  readonly changes = new Map<string, FileChangeKind>();
  /** Each changed file's text before the run's first change to it (null: it did not exist), for diffs. */
  readonly originals = new Map<string, string | null>();
  /** Calls refused for a path outside the memory, or for a size limit. */
  readonly refusals = { path: 0, limit: 0 };

  constructor(private readonly memory: MemoryDirectoryRepository) {}

  isKnown(name: string): name is MemoryFunctionName {
    return (MEMORY_FUNCTION_NAMES as readonly string[]).includes(name);
  }

  async call(name: MemoryFunctionName, args: readonly unknown[]): Promise<CallOutcome> {
    switch (name) {
      case 'create_file':
        return this.createFile(args[0], args[1] ?? '');
      case 'update_file':
        return this.updateFile(args[0], args[1], args[2]);
      case 'read_file':
        return this.readFile(args[0]);
      case 'delete_file':
        return this.deleteFile(args[0]);
      case 'check_if_file_exists':
        return this.exists(args[0], 'file');
      case 'create_dir':
        return this.createDir(args[0]);
      case 'list_files':
        return this.listFiles(args[0] ?? '');
      case 'check_if_dir_exists':
        return this.exists(args[0], 'dir');
      case 'get_size':
        return this.getSize(args[0] ?? '');
      case 'go_to_link':
        return this.goToLink(args[0]);
    }
  }

  private async createFile(path: unknown, content: unknown): Promise<CallOutcome> {
    if (typeof content !== 'string') return { value: false };
    try {
      const target = this.memory.resolve(path);
      await this.keepOriginal(target);
      const { created } = await this.memory.writeText(target, content);
      if (!created) this.logger.debug({ msg: 'create_file replaced an existing file', path: target.relative });
      this.record(target.relative, created ? 'created' : 'updated');
      return { value: true };
    } catch (error) {
      this.expected(error);
      return { value: false };
    }
  }

  private async updateFile(path: unknown, oldContent: unknown, newContent: unknown): Promise<CallOutcome> {
    if (typeof oldContent !== 'string' || typeof newContent !== 'string') {
      return failure('old_content and new_content must both be strings');
    }
    if (oldContent === '') return failure('old_content is empty; pass the exact text to replace');
    if (oldContent === newContent) return failure('old_content and new_content are the same; nothing to change');
    try {
      const target = this.memory.resolve(path);
      const text = await this.memory.readText(target);
      const occurrences = countOccurrences(text, oldContent);
      if (occurrences === 0) return failure(`the text to replace was not found in ${target.relative}`);
      if (occurrences > 1) {
        return failure(
          `the text to replace occurs ${occurrences} times in ${target.relative}; include more of the surrounding text so it matches once`,
        );
      }
      const index = text.indexOf(oldContent);
      if (!this.originals.has(target.relative)) this.originals.set(target.relative, text);
      await this.memory.writeText(target, text.slice(0, index) + newContent + text.slice(index + oldContent.length));
      this.record(target.relative, 'updated');
      return { value: true };
    } catch (error) {
      return failure(this.expected(error));
    }
  }

  private async readFile(path: unknown): Promise<CallOutcome> {
    try {
      return { value: await this.memory.readText(this.memory.resolve(path)) };
    } catch (error) {
      return failure(this.expected(error));
    }
  }

  private async deleteFile(path: unknown): Promise<CallOutcome> {
    try {
      const target = this.memory.resolve(path);
      await this.keepOriginal(target);
      await this.memory.removeFile(target);
      this.record(target.relative, 'deleted');
      return { value: true };
    } catch (error) {
      this.expected(error);
      return { value: false };
    }
  }

  private async exists(path: unknown, kind: 'file' | 'dir'): Promise<CallOutcome> {
    try {
      return { value: (await this.memory.kindOf(this.memory.resolve(path))) === kind };
    } catch (error) {
      this.expected(error);
      return { value: false };
    }
  }

  private async createDir(path: unknown): Promise<CallOutcome> {
    try {
      await this.memory.makeDir(this.memory.resolve(path));
      return { value: true };
    } catch (error) {
      this.expected(error);
      return { value: false };
    }
  }

  private async listFiles(path: unknown): Promise<CallOutcome> {
    try {
      const folder = this.memory.resolve(path);
      const kind = await this.memory.kindOf(folder);
      if (kind !== 'dir') return failure(`folder "${folder.relative}" does not exist`);
      return { value: await renderTree(this.memory, folder) };
    } catch (error) {
      return failure(this.expected(error));
    }
  }

  private async getSize(path: unknown): Promise<CallOutcome> {
    try {
      return { value: await this.memory.sizeOf(this.memory.resolve(path)) };
    } catch (error) {
      const message = this.expected(error);
      return { raise: { type: error instanceof PathRefused ? 'ValueError' : 'FileNotFoundError', message } };
    }
  }

  private async goToLink(link: unknown): Promise<CallOutcome> {
    if (typeof link !== 'string') return failure('the link must be a string');
    for (const candidate of linkCandidates(link)) {
      const found = await this.readIfFile(candidate);
      if (found !== undefined) return { value: found };
    }
    const bareName = bareLinkName(link);
    if (bareName !== undefined) {
      const matches = (await this.memory.listFiles()).filter((file) => file.path.split('/').pop() === bareName);
      if (matches.length === 1) return { value: (await this.readIfFile(matches[0].path)) ?? '' };
    }
    return failure(
      `no file found for the link ${link.trim()}; links use the full path from the memory root, e.g. [[entities/jane_doe.md]]`,
    );
  }

  private async readIfFile(relative: string): Promise<string | undefined> {
    try {
      const target: MemoryPath = this.memory.resolve(relative);
      return (await this.memory.kindOf(target)) === 'file' ? await this.memory.readText(target) : undefined;
    } catch {
      return undefined;
    }
  }

  private async keepOriginal(target: MemoryPath): Promise<void> {
    if (this.originals.has(target.relative)) return;
    const kind = await this.memory.kindOf(target);
    this.originals.set(target.relative, kind === 'file' ? await this.memory.readText(target) : null);
  }

  /** A later deletion wins; a file created then edited in one run stays "created". */
  private record(path: string, kind: FileChangeKind): void {
    const before = this.changes.get(path);
    if (before === 'created' && kind === 'updated') return;
    if (before === 'deleted' && kind !== 'deleted') kind = 'updated';
    this.changes.set(path, kind);
  }

  /** The text of a refusal the model may see; unexpected I/O errors are reported without host paths. */
  private expected(error: unknown): string {
    if (error instanceof PathRefused) this.refusals.path += 1;
    if (error instanceof LimitExceeded) this.refusals.limit += 1;
    if (error instanceof PathRefused || error instanceof LimitExceeded || error instanceof EntryMissing) {
      return error.message;
    }
    const code = (error as NodeJS.ErrnoException).code;
    this.logger.warn({ msg: 'memory file operation failed', code, error: (error as Error).message });
    return code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : `the operation failed (${code ?? 'I/O error'})`;
  }
}

function failure(message: string): CallOutcome {
  return { value: `Error: ${message}` };
}

function countOccurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + part.length)) count += 1;
  return count;
}
