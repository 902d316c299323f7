import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { probeSyscalls, seccompArch, seccompFilter } from './seccomp-filter';

/**
 * How model-written code is isolated (both modes run the same two-stage harness, see
 * python/engram_lockdown.py: rlimits, Landlock, the seccomp allow-list of seccomp-filter.ts, then a
 * fresh interpreter that never had ctypes):
 * - `bwrap`: bubblewrap puts the interpreter in new user, mount, pid, network, ipc and uts namespaces,
 *   as uid 65534, seeing only the system libraries and the memory (read-only); Landlock is added when
 *   the kernel has it.
 * - `landlock`: for containers that forbid user namespaces: the harness runs directly with an empty
 *   environment, dropping root to uid 65534 first; Landlock (required) confines reads to the
 *   libraries and the memory and forbids every write and TCP.
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

/** Limits and switches of one run, passed to stage 1 on its command line. */
export interface LockdownSettings {
  memoryBytes: number;
  cpuSeconds: number;
  /** Report the self-checks instead of running code. */
  probe: boolean;
}

const harnessSources = new Map<string, string>();
/** A harness stage's source, shipped beside this module's sources (src/sandbox/python), read once. */
function harnessSource(file: 'engram_lockdown.py' | 'engram_sandbox.py'): string {
  let source = harnessSources.get(file);
  if (source === undefined) {
    // dist/sandbox/x.js and src/sandbox/x.ts both sit two levels below the package folder.
    source = readFileSync(resolve(__dirname, '..', '..', 'src', 'sandbox', 'python', file), 'utf8');
    harnessSources.set(file, source);
  }
  return source;
}

export function findBubblewrap(): string | undefined {
  return BWRAP_CANDIDATES.find((path) => existsSync(path));
}

/**
 * `-I` isolated mode (no PYTHON* variables, no user site, nothing prepended to sys.path), `-S` no
 * site, `-B` no bytecode files; then stage 1's configuration and stage 2's source as its arguments.
 */
function pythonArgs(mode: SandboxMode, memoryRoot: string, readOnlyPaths: string[], settings: LockdownSettings) {
  const arch = seccompArch();
  if (!arch) throw new Error(`no seccomp filter for the ${process.arch} architecture (x64 and arm64 have one)`);
  const config = {
    memory_root: memoryRoot,
    read_only_paths: readOnlyPaths,
    limits: { memory_bytes: settings.memoryBytes, cpu_seconds: settings.cpuSeconds },
    require_landlock: mode === 'landlock',
    seccomp: seccompFilter(arch).toString('base64'),
    probe: settings.probe,
    probe_syscalls: settings.probe ? probeSyscalls(arch) : [],
  };
  return [
    '-I',
    '-S',
    '-B',
    '-c',
    harnessSource('engram_lockdown.py'),
    JSON.stringify(config),
    harnessSource('engram_sandbox.py'),
  ];
}

export function buildCommand(
  mode: SandboxMode,
  python: string,
  memoryRoot: string,
  settings: LockdownSettings,
): SandboxCommand {
  return mode === 'bwrap'
    ? bubblewrapCommand(python, memoryRoot, settings)
    : landlockCommand(python, memoryRoot, settings);
}

function landlockCommand(python: string, memoryRoot: string, settings: LockdownSettings): SandboxCommand {
  const readOnlyPaths = [memoryRoot, ...LIBRARY_DIRS.filter((dir) => existsSync(dir))];
  return {
    command: python,
    args: pythonArgs('landlock', memoryRoot, readOnlyPaths, settings),
    cwd: memoryRoot,
    memoryRoot,
    readOnlyPaths,
  };
}

function bubblewrapCommand(python: string, memoryRoot: string, settings: LockdownSettings): SandboxCommand {
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
      ...pythonArgs('bwrap', SANDBOX_MEMORY_ROOT, visible, settings),
    ],
    cwd: '/',
    memoryRoot: SANDBOX_MEMORY_ROOT,
    readOnlyPaths: visible,
  };
}
