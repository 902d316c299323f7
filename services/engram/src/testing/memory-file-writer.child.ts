/**
 * A writer for the memory directory's crash spec: rewrites `notes.md` of the memory folder `<dir>`
 * through MemoryDirectoryRepository.writeText, version after version, until it is killed. On stdout
 * (synchronous for a pipe on Linux) it prints `writing <version>` as each write starts, so the parent can
 * kill it in the middle of one, and `ack <version>` once the write resolved.
 * Usage: node memory-file-writer.child.js <dir> <first version>
 */
import { MemoryDirectoryRepository } from '../agent/memory-dir/memory-directory.repository';

const MIB = 1024 * 1024;
/** Limits raised for the large file; what a write does is the same as under the default ones. */
export const LARGE_FILE_LIMITS = {
  fileBytes: 8 * MIB,
  directoryBytes: 8 * MIB,
  memoryBytes: 8 * MIB,
  entries: 10_000,
};

/** Version `n` of the file: its number first, then enough text (~4 MiB) that a write takes a while. */
export function memoryFileVersion(n: number): string {
  return `version ${n}\n${`line of version ${n}\n`.repeat(200_000)}`;
}

async function main(): Promise<void> {
  const [dir, first] = process.argv.slice(2);
  const directory = new MemoryDirectoryRepository(dir, LARGE_FILE_LIMITS);
  for (let version = Number(first); ; version++) {
    process.stdout.write(`writing ${version}\n`);
    await directory.writeText(directory.resolve('notes.md'), memoryFileVersion(version));
    process.stdout.write(`ack ${version}\n`);
  }
}

if (require.main === module) void main();
