import { lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';

/** A path the model gave, checked to stay inside the memory root. */
export interface MemoryPath {
  /** Relative to the root with `/` separators; `''` is the root itself. */
  relative: string;
  /** Absolute host path (never shown to the model). */
  absolute: string;
}

/** Why a path was refused; the text is safe to show to the model (no host paths). */
export class PathRefused extends Error {}

/**
 * Resolves a model-given path against the memory root. Refuses absolute paths, `..` escapes, hidden
 * segments (`.filters`, temporary files) and any existing symlink on the way that leads outside the
 * root: containment is checked with a separator after `realpath`, so `/data/mem_evil` is not inside
 * `/data/mem`.
 */
export function resolveMemoryPath(root: string, given: unknown): MemoryPath {
  if (typeof given !== 'string') throw new PathRefused('the path must be a string');
  if (given.includes('\0')) throw new PathRefused('the path contains a NUL character');
  const trimmed = given.trim().replace(/\\/g, '/');
  if (isAbsolute(trimmed))
    throw new PathRefused(`absolute paths are not allowed ("${given}"); use a path relative to the memory root`);
  const cleaned = normalize(trimmed === '' ? '.' : trimmed).replace(/\/+$/, '');
  const rel = cleaned === '.' ? '' : cleaned;
  if (rel === '..' || rel.startsWith(`..${sep}`)) throw new PathRefused(`"${given}" is outside the memory`);
  if (rel.split('/').some((segment) => segment.startsWith('.'))) {
    throw new PathRefused(`"${given}" names a hidden file or folder, which is not part of the memory`);
  }
  const absolute = rel === '' ? root : join(root, rel);
  assertNoEscape(root, absolute, given);
  return { relative: rel, absolute };
}

/**
 * A hidden file of the root itself (`.filters`), which model-given paths can never name: same containment
 * rule, so a symlink planted under that name cannot lead outside.
 */
export function resolveRootFile(root: string, name: string): MemoryPath {
  if (!/^\.[\w.-]+$/.test(name)) throw new PathRefused(`"${name}" is not a file of the memory root`);
  const absolute = join(root, name);
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
