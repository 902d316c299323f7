import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALLOWED_SYSCALLS, EXEC_FD, SeccompArch, seccompFilter } from './seccomp-filter';

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const KILL = 0x80000000;
const AUDIT_ARCH = { x64: 0xc000003e, arm64: 0xc00000b7 };

/** Runs a classic BPF seccomp program over one `struct seccomp_data`, as the kernel would. */
function evaluate(program: Buffer, arch: number, nr: number, args: bigint[] = []): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr >>> 0, 0);
  data.writeUInt32LE(arch >>> 0, 4);
  args.forEach((arg, index) => data.writeBigUInt64LE(BigInt.asUintN(64, arg), 16 + 8 * index));
  let accumulator = 0;
  for (let pc = 0; pc < program.length / 8;) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) accumulator = data.readUInt32LE(k);
    else if (code === 0x15) pc += accumulator === k ? jt : jf;
    else if (code === 0x35) pc += accumulator >= k ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected instruction ${code.toString(16)}`);
    pc++;
  }
  throw new Error('the program ran off its end');
}

/** Syscall numbers of the calls the review found missing from the old deny-list, and more. */
const DANGEROUS: Record<SeccompArch, Record<string, number>> = {
  x64: {
    syslog: 103,
    reboot: 169,
    settimeofday: 164,
    clock_settime: 227,
    swapon: 167,
    iopl: 172,
    ioperm: 173,
    acct: 163,
    quotactl: 179,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    move_mount: 429,
    open_tree: 428,
    fspick: 433,
    mount: 165,
    mount_setattr: 442,
    unshare: 272,
    setns: 308,
    ptrace: 101,
    kexec_load: 246,
    init_module: 175,
    bpf: 321,
    perf_event_open: 298,
    socket: 41,
    clone: 56,
    clone3: 435,
    fork: 57,
    execve: 59,
    kill: 62,
    process_vm_writev: 311,
    io_uring_setup: 425,
    userfaultfd: 323,
    setrlimit: 160,
    setuid: 105,
    chmod: 90,
    unlinkat: 263,
    personality: 135,
    prctl: 157,
    seccomp: 317,
    landlock_restrict_self: 446,
  },
  arm64: {
    syslog: 116,
    reboot: 142,
    settimeofday: 170,
    clock_settime: 112,
    swapon: 224,
    acct: 89,
    quotactl: 60,
    fsopen: 430,
    fsmount: 432,
    move_mount: 429,
    open_tree: 428,
    mount: 40,
    unshare: 97,
    setns: 268,
    ptrace: 117,
    bpf: 280,
    socket: 198,
    clone: 220,
    clone3: 435,
    execve: 221,
    kill: 129,
    setrlimit: 164,
    prctl: 167,
  },
};

describe('the sandbox seccomp filter is an allow-list', () => {
  for (const arch of ['x64', 'arm64'] as const) {
    const program = seccompFilter(arch);
    const run = (nr: number, args: bigint[] = []) => evaluate(program, AUDIT_ARCH[arch], nr, args);

    it(`${arch}: refuses every call the review named, the new mount API, processes, sockets and signals`, () => {
      for (const [name, nr] of Object.entries(DANGEROUS[arch])) assert.equal(run(nr), EPERM, name);
    });

    it(`${arch}: allows only a few dozen calls among all numbers, and nothing past the table`, () => {
      const allowed = Array.from({ length: 1024 }, (_, nr) => nr).filter((nr) => run(nr) === ALLOW);
      assert.ok(allowed.length >= 40 && allowed.length <= ALLOWED_SYSCALLS.length + 3, `${allowed.length} allowed`);
      assert.equal(run(0xffffffff), EPERM);
    });

    it(`${arch}: kills a call made through another architecture's table`, () => {
      assert.equal(evaluate(program, 0x40000003 /* i386 */, 1), KILL);
      assert.equal(evaluate(program, AUDIT_ARCH[arch === 'x64' ? 'arm64' : 'x64'], 1), KILL);
    });
  }

  it('x64: read, write, mmap and exit are allowed; x32 numbers are refused', () => {
    const program = seccompFilter('x64');
    const run = (nr: number, args: bigint[] = []) => evaluate(program, AUDIT_ARCH.x64, nr, args);
    for (const nr of [0, 1, 9, 60, 231, 257]) assert.equal(run(nr), ALLOW, String(nr));
    assert.equal(run(0x40000000 + 1), EPERM);
  });

  it('exec only through the prepared descriptor, rlimits only of the process itself, ioctl only for queries', () => {
    const program = seccompFilter('x64');
    const run = (nr: number, args: bigint[]) => evaluate(program, AUDIT_ARCH.x64, nr, args);
    assert.equal(run(322, [BigInt(EXEC_FD)]), ALLOW);
    assert.equal(run(322, [3n]), EPERM);
    assert.equal(run(322, [BigInt(EXEC_FD) + (1n << 32n)]), EPERM);
    assert.equal(run(302, [0n, 7n]), ALLOW);
    assert.equal(run(302, [1n, 7n]), EPERM);
    assert.equal(run(302, [1n << 32n, 7n]), EPERM);
    assert.equal(run(16, [1n, 0x5401n]), ALLOW); // TCGETS
    assert.equal(run(16, [1n, 0x5451n]), ALLOW); // FIOCLEX
    assert.equal(run(16, [0n, 0x5412n]), EPERM); // TIOCSTI
    assert.equal(run(16, [0n, 0x5401n + (1n << 32n)]), EPERM);
  });
});
