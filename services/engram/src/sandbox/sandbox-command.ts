import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * How model-written code is isolated:
 * - `bwrap`: bubblewrap puts the interpreter in new user, mount, pid, network, ipc and uts namespaces,
 *   as uid 65534, seeing only the system libraries and the memory (read-only); the harness adds
 *   rlimits, seccomp and (when the kernel has it) Landlock.
 * - `landlock`: for containers that forbid user namespaces: the same harness, run directly with an
 *   empty environment; Landlock confines reads to the libraries and the memory and forbids every
 *   write and TCP; seccomp forbids sockets, processes and signals.
 */
export type SandboxMode = 'bwrap' | 'landlock';

/** Where the memory appears inside a bubblewrap sandbox. */
export const SANDBOX_MEMORY_ROOT = '/memory';

const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'];
const LIBRARY_DIRS = ['/usr/lib', '/usr/lib64', '/lib', '/lib64', '/usr/local/lib'];

export interface SandboxCommand {
  command: string;
  args: string[];
  /** The working directory of the spawned process (the memory itself in landlock mode). */
  cwd: string;
  /** The memory root as the code sees it. */
  memoryRoot: string;
  /** Folders the code may read (Landlock rules), as the code sees them. */
  readOnlyPaths: string[];
}

/** The harness source, shipped beside this module's sources (src/sandbox/python) and read once. */
let harnessSource: string | undefined;
export function harnessCode(): string {
  harnessSource ??= readFileSync(harnessPath(), 'utf8');
  return harnessSource;
}

export function harnessPath(): string {
  // dist/sandbox/x.js and src/sandbox/x.ts both sit two levels below the package folder.
  return resolve(__dirname, '..', '..', 'src', 'sandbox', 'python', 'engram_sandbox.py');
}

export function findBubblewrap(): string | undefined {
  return BWRAP_CANDIDATES.find((path) => existsSync(path));
}

/** `-I` isolated mode (no PYTHON* variables, no user site), `-S` no site, `-B` no bytecode files. */
function pythonArgs(): string[] {
  return ['-I', '-S', '-B', '-c', harnessCode()];
}

export function buildCommand(mode: SandboxMode, python: string, memoryRoot: string): SandboxCommand {
  return mode === 'bwrap' ? bubblewrapCommand(python, memoryRoot) : landlockCommand(python, memoryRoot);
}

function landlockCommand(python: string, memoryRoot: string): SandboxCommand {
  const libraries = LIBRARY_DIRS.filter((dir) => existsSync(dir));
  return {
    command: python,
    args: pythonArgs(),
    cwd: memoryRoot,
    memoryRoot,
    readOnlyPaths: [memoryRoot, ...libraries],
  };
}

function bubblewrapCommand(python: string, memoryRoot: string): SandboxCommand {
  const bwrap = findBubblewrap();
  if (!bwrap) throw new Error('bubblewrap (bwrap) is not installed');
  // Only the interpreter binary of its folder is mounted (not the rest of /usr/bin).
  const realPython = realpathSync(python);
  const mounts: string[] = [];
  const visible: string[] = [SANDBOX_MEMORY_ROOT];
  for (const dir of LIBRARY_DIRS.filter((path) => existsSync(path))) {
    if (lstatSync(dir).isSymbolicLink()) {
      mounts.push('--symlink', readlinkSync(dir), dir);
    } else {
      mounts.push('--ro-bind', dir, dir);
      visible.push(dir);
    }
  }
  return {
    command: bwrap,
    args: [
      '--unshare-all',
      '--unshare-user',
      '--uid',
      '65534',
      '--gid',
      '65534',
      '--hostname',
      'sandbox',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      '--cap-drop',
      'ALL',
      ...mounts,
      '--ro-bind',
      realPython,
      realPython,
      '--ro-bind',
      memoryRoot,
      SANDBOX_MEMORY_ROOT,
      '--chdir',
      SANDBOX_MEMORY_ROOT,
      realPython,
      ...pythonArgs(),
    ],
    cwd: '/',
    memoryRoot: SANDBOX_MEMORY_ROOT,
    readOnlyPaths: visible,
  };
}
