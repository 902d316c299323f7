import { join } from 'node:path';
import { MemoryDirectoryRepository } from './memory-directory.repository';
import { MemoryPath } from './memory-path';

/**
 * The tree `list_files` returns, in the shape the model was trained on: a first line naming the
 * folder (`./` for the root), then `├── ` / `└── ` entries indented by `│   ` or four spaces, folders
 * ending in `/`, empty ones marked `/ (empty)`, names sorted, hidden files left out.
 */
export async function renderTree(memory: MemoryDirectoryRepository, folder: MemoryPath): Promise<string> {
  const lines = [folder.relative === '' ? './' : `${folder.relative}/`];
  const walk = async (absolute: string, indent: string): Promise<void> => {
    const entries = await memory.entries(absolute);
    for (const [index, entry] of entries.entries()) {
      const last = index === entries.length - 1;
      const branch = last ? '└── ' : '├── ';
      if (entry.isDirectory()) {
        const child = join(absolute, entry.name);
        const empty = (await memory.entries(child)).length === 0;
        lines.push(`${indent}${branch}${entry.name}/${empty ? ' (empty)' : ''}`);
        if (!empty) await walk(child, indent + (last ? '    ' : '│   '));
      } else {
        lines.push(`${indent}${branch}${entry.name}`);
      }
    }
  };
  await walk(folder.absolute, '');
  return lines.join('\n');
}
