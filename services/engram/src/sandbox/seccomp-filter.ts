/**
 * The seccomp filter of the Python sandbox: an allow-list. Every system call not named here fails
 * with EPERM; a call from another architecture (or x32) kills the process. The list is what the
 * stage-2 interpreter was seen to use (strace of CPython 3.11 running the harness, the memory
 * functions and a broad workload: imports of the standard library, big allocations, exceptions,
 * sleeps, sqlite in memory), plus their harmless siblings (readv next to read, ppoll next to poll);
 * docs/agent.md lists it and says how to regenerate it. Three calls are allowed only with checked
 * arguments: exec only through the descriptor stage 1 prepared, rlimits only of the process itself,
 * ioctl only for terminal and descriptor-flag queries (never TIOCSTI and the like).
 */

/** Stage 1 opens the interpreter here before lowering RLIMIT_NOFILE to 32, so stage 2 can never reuse it. */
export const EXEC_FD = 40;

export type SeccompArch = 'x64' | 'arm64';

/** Allowed without conditions, by name. */
// prettier-ignore
export const ALLOWED_SYSCALLS = [
  // files (Landlock decides which), descriptors
  'read', 'write', 'readv', 'writev', 'pread64', 'close', 'lseek', 'openat', 'newfstatat', 'fstat', 'statx',
  'getdents64', 'readlinkat', 'faccessat', 'faccessat2', 'getcwd', 'fcntl', 'dup', 'dup3', 'pipe2', 'ppoll',
  'pselect6', 'epoll_create1', 'epoll_ctl', 'epoll_pwait',
  // memory
  'mmap', 'munmap', 'mremap', 'mprotect', 'brk', 'madvise',
  // the process itself: start-up of the interpreter, signals to itself, identity, time, randomness
  'futex', 'set_robust_list', 'rseq', 'set_tid_address', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn',
  'sigaltstack', 'getpid', 'gettid', 'getppid', 'getuid', 'geteuid', 'getgid', 'getegid', 'clock_gettime',
  'clock_getres', 'gettimeofday', 'clock_nanosleep', 'nanosleep', 'sched_yield', 'sched_getaffinity',
  'getrusage', 'times', 'getrandom', 'uname', 'sysinfo', 'exit', 'exit_group',
  // x86-64 only: the dynamic loader's and older libc paths
  'access', 'readlink', 'arch_prctl', 'dup2', 'pipe', 'poll', 'select', 'epoll_wait', 'stat', 'lstat', 'open',
  'time',
] as const;

/** ioctl requests allowed: is-a-terminal and window-size queries, descriptor flags, bytes readable. */
const ALLOWED_IOCTLS = [0x5401 /* TCGETS */, 0x5413 /* TIOCGWINSZ */, 0x541b /* FIONREAD */, 0x5450, 0x5451];

/** Numbers per architecture (x86-64: asm/unistd_64.h; arm64: asm-generic/unistd.h). */
// prettier-ignore
const NUMBERS: Record<SeccompArch, Record<string, number>> = {
  x64: {
    read: 0, write: 1, open: 2, close: 3, stat: 4, fstat: 5, lstat: 6, poll: 7, lseek: 8, mmap: 9, mprotect: 10,
    munmap: 11, brk: 12, rt_sigaction: 13, rt_sigprocmask: 14, rt_sigreturn: 15, ioctl: 16, pread64: 17,
    readv: 19, writev: 20, access: 21, pipe: 22, select: 23, sched_yield: 24, mremap: 25, madvise: 28, dup: 32,
    dup2: 33, nanosleep: 35, getpid: 39, socket: 41, clone: 56, fork: 57, exit: 60, kill: 62, uname: 63,
    fcntl: 72, getcwd: 79, readlink: 89, gettimeofday: 96, getrusage: 98, sysinfo: 99, times: 100, ptrace: 101,
    getuid: 102, syslog: 103, getgid: 104, geteuid: 107, getegid: 108, getppid: 110, sigaltstack: 131,
    personality: 135, pivot_root: 155, arch_prctl: 158, setrlimit: 160, chroot: 161, acct: 163,
    settimeofday: 164, mount: 165, umount2: 166, swapon: 167, reboot: 169, iopl: 172, init_module: 175,
    delete_module: 176, quotactl: 179, gettid: 186, time: 201, futex: 202, sched_getaffinity: 204,
    getdents64: 217, set_tid_address: 218, clock_settime: 227, clock_gettime: 228, clock_getres: 229,
    clock_nanosleep: 230, exit_group: 231, epoll_wait: 232, epoll_ctl: 233, keyctl: 250, unlinkat: 263,
    symlinkat: 266, newfstatat: 262, readlinkat: 267, faccessat: 269, pselect6: 270, ppoll: 271, unshare: 272,
    set_robust_list: 273, epoll_pwait: 281, openat: 257, epoll_create1: 291, dup3: 292, pipe2: 293,
    perf_event_open: 298, prlimit64: 302, setns: 308, getrandom: 318, bpf: 321, execveat: 322, userfaultfd: 323,
    statx: 332, rseq: 334, io_uring_setup: 425, open_tree: 428, move_mount: 429, fsopen: 430, fsmount: 432,
    faccessat2: 439,
  },
  arm64: {
    getcwd: 17, epoll_create1: 20, epoll_ctl: 21, epoll_pwait: 22, dup: 23, dup3: 24, fcntl: 25, ioctl: 29,
    unlinkat: 35, symlinkat: 36, umount2: 39, mount: 40, pivot_root: 41, faccessat: 48, chroot: 51, openat: 56,
    close: 57, pipe2: 59, quotactl: 60, getdents64: 61, lseek: 62, read: 63, write: 64, readv: 65, writev: 66,
    pread64: 67, pselect6: 72, ppoll: 73, readlinkat: 78, newfstatat: 79, fstat: 80, acct: 89, personality: 92,
    exit: 93, exit_group: 94, set_tid_address: 96, unshare: 97, futex: 98, set_robust_list: 99, nanosleep: 101,
    init_module: 105, delete_module: 106, clock_settime: 112, clock_gettime: 113, clock_getres: 114,
    clock_nanosleep: 115, syslog: 116, ptrace: 117, sched_getaffinity: 123, sched_yield: 124, kill: 129,
    sigaltstack: 132, rt_sigaction: 134, rt_sigprocmask: 135, rt_sigreturn: 139, reboot: 142, times: 153,
    uname: 160, setrlimit: 164, getrusage: 165, gettimeofday: 169, settimeofday: 170, getpid: 172, getppid: 173,
    getuid: 174, geteuid: 175, getgid: 176, getegid: 177, gettid: 178, sysinfo: 179, socket: 198, brk: 214,
    munmap: 215, mremap: 216, keyctl: 219, clone: 220, mmap: 222, swapon: 224, mprotect: 226, madvise: 233,
    perf_event_open: 241, prlimit64: 261, setns: 268, getrandom: 278, bpf: 280, execveat: 281, userfaultfd: 282,
    statx: 291, rseq: 293, io_uring_setup: 425, open_tree: 428, move_mount: 429, fsopen: 430, fsmount: 432,
    faccessat2: 439,
  },
};

const AUDIT_ARCH: Record<SeccompArch, number> = { x64: 0xc000003e, arm64: 0xc00000b7 };
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO_EPERM = 0x00050000 | EPERM;
const RET_ALLOW = 0x7fff0000;
const LD_ABS = 0x20;
const JEQ = 0x15;
const JGE = 0x35;
const RET = 0x06;
/** Offsets in struct seccomp_data: nr, arch, then the six 64-bit arguments (little-endian halves). */
const NR = 0;
const ARCH = 4;
const argLow = (index: number) => 16 + 8 * index;
const argHigh = (index: number) => 20 + 8 * index;

type Instruction = [code: number, jt: number | string, jf: number | string, k: number];

/** A program with labelled jump targets, resolved to the 8-bit relative offsets cBPF uses. */
class Program {
  private readonly instructions: Instruction[] = [];
  private readonly labels = new Map<string, number>();
  private next = 0;

  add(code: number, k: number, jt: number | string = 0, jf: number | string = 0): this {
    this.instructions.push([code, jt, jf, k]);
    return this;
  }

  label(): string {
    return `L${this.next++}`;
  }

  place(label: string): this {
    this.labels.set(label, this.instructions.length);
    return this;
  }

  assemble(): Buffer {
    const out = Buffer.alloc(this.instructions.length * 8);
    this.instructions.forEach(([code, jt, jf, k], at) => {
      out.writeUInt16LE(code, at * 8);
      out.writeUInt8(this.offset(jt, at), at * 8 + 2);
      out.writeUInt8(this.offset(jf, at), at * 8 + 3);
      out.writeUInt32LE(k >>> 0, at * 8 + 4);
    });
    return out;
  }

  private offset(target: number | string, at: number): number {
    if (typeof target === 'number') return target;
    const offset = this.labels.get(target)! - at - 1;
    if (!(offset >= 0 && offset <= 255)) throw new Error(`seccomp jump out of range: ${offset}`);
    return offset;
  }
}

/** Allows syscall `nr` when argument `arg` (64 bits) is one of `values`; A holds nr before and after a miss. */
function allowWhenArgument(program: Program, nr: number, arg: number, values: readonly number[]): void {
  const after = program.label();
  const deny = program.label();
  const allow = program.label();
  program.add(JEQ, nr, 0, after);
  program.add(LD_ABS, argHigh(arg)).add(JEQ, 0, 0, deny);
  program.add(LD_ABS, argLow(arg));
  for (const value of values) program.add(JEQ, value, allow, 0);
  program.place(deny).add(RET, RET_ERRNO_EPERM);
  program.place(allow).add(RET, RET_ALLOW);
  program.place(after);
}

/** The filter as the bytes of a `struct sock_filter` array, for PR_SET_SECCOMP. */
export function seccompFilter(arch: SeccompArch): Buffer {
  const numbers = NUMBERS[arch];
  const program = new Program();
  const archOk = program.label();
  program.add(LD_ABS, ARCH).add(JEQ, AUDIT_ARCH[arch], archOk, 0).add(RET, RET_KILL_PROCESS);
  program.place(archOk).add(LD_ABS, NR);
  if (arch === 'x64') {
    const native = program.label();
    program.add(JGE, X32_SYSCALL_BIT, 0, native).add(RET, RET_ERRNO_EPERM).place(native);
  }
  allowWhenArgument(program, numbers.execveat, 0, [EXEC_FD]);
  allowWhenArgument(program, numbers.prlimit64, 0, [0]);
  allowWhenArgument(program, numbers.ioctl, 1, ALLOWED_IOCTLS);
  for (const name of ALLOWED_SYSCALLS) {
    const nr = numbers[name];
    if (nr === undefined) continue; // not on this architecture
    program.add(JEQ, nr, 0, 1).add(RET, RET_ALLOW);
  }
  program.add(RET, RET_ERRNO_EPERM);
  return program.assemble();
}

export function seccompArch(arch: string = process.arch): SeccompArch | undefined {
  return arch === 'x64' || arch === 'arm64' ? arch : undefined;
}

/**
 * Calls outside the allow-list that the start-up probe makes after the filter is installed; each
 * must fail with EPERM. Their arguments are invalid or no-ops, so even without a filter none would
 * change anything.
 */
const PROBES: [name: string, args: number[]][] = [
  ['syslog', [10, 0, 0]],
  ['reboot', [0, 0, 0, 0]],
  ['settimeofday', [0, 0]],
  ['clock_settime', [-1, 0]],
  ['swapon', [0, 0]],
  ['iopl', [4]],
  ['acct', [1]],
  ['quotactl', [0, 0, 0, 0]],
  ['fsopen', [0, 0]],
  ['fsmount', [-1, 0, 0]],
  ['move_mount', [-1, 0, -1, 0, 0]],
  ['open_tree', [-1, 0, 0]],
  ['mount', [0, 0, 0, 0, 0]],
  ['unshare', [0]],
  ['setns', [-1, 0]],
  ['ptrace', [-1, 0, 0, 0]],
  ['init_module', [0, 0, 0]],
  ['bpf', [-1, 0, 0]],
  ['perf_event_open', [0, 0, -1, -1, 0]],
  ['keyctl', [-1, 0, 0, 0, 0]],
  ['socket', [-1, 0, 0]],
  ['kill', [0x7fffffff, 0]],
  ['personality', [0xffffffff]],
  ['userfaultfd', [-1]],
  ['io_uring_setup', [0, 0]],
  ['chroot', [0]],
  ['execveat', [0, 0, 0, 0, 0]],
  ['prlimit64', [1, 0, 0, 0]],
  ['ioctl', [0, 0x5412 /* TIOCSTI */, 0]],
];

export function probeSyscalls(arch: SeccompArch): [name: string, nr: number, args: number[]][] {
  return PROBES.filter(([name]) => NUMBERS[arch][name] !== undefined).map(([name, args]) => [
    `refused_${name}`,
    NUMBERS[arch][name],
    args,
  ]);
}
