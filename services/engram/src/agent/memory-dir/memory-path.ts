import { lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { memoryRelativePath, PathRefused, rootFileName } from '../../storage/agent-file.rules';

/** A path the model gave, checked to stay inside the memory root. */
export interface MemoryPath {
  /** Relative to the root with `/` separators; `''` is the root itself. */
  relative: string;
  /** Absolute host path (never shown to the model). */
  absolute: string;
}

/**
 * Resolves a model-given path against the memory root: the shared path rules (agent-file.rules.ts), then
 * any existing symlink on the way that leads outside the root is refused too. Containment is checked
 * with a separator after `realpath`, so `/data/mem_evil` is not inside `/data/mem`.
 */
export function resolveMemoryPath(root: string, given: unknown): MemoryPath {
  const rel = memoryRelativePath(given);
  const absolute = rel === '' ? root : join(root, rel);
  assertNoEscape(root, absolute, String(given));
  return { relative: rel, absolute };
}

/**
 * A hidden file of the root itself (`.filters`), which model-given paths can never name: same containment
 * rule, so a symlink planted under that name cannot lead outside.
 */
export function resolveRootFile(root: string, name: string): MemoryPath {
  const absolute = join(root, rootFileName(name));
  assertNoEscape(root, absolute, name);
  return { relative: name, absolute };
}

/** The deepest existing ancestor (or the path itself) must resolve inside the root. */
function assertNoEscape(root: string, absolute: string, given: string): void {
  const realRoot = realpathSync(root);
  let probe = absolute;
  for (;;) {
    if (exists(probe)) {
      const real = realpathOrUndefined(probe);
      // A dangling symlink resolves nowhere: refused like one that leads out.
      if (real === undefined || !isWithin(realRoot, real)) throw new PathRefused(`"${given}" leads outside the memory`);
      return;
    }
    if (probe === root) return;
    probe = dirname(probe);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

export function isWithin(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
