"""Engram's sandbox, stage 1: locks the process down, then replaces itself with the stage that runs code.

Started by sandbox.runner.ts as `python3 -I -S -B -c <this file> <config JSON> <stage 2 source>`
(inside bubblewrap when available) with an empty environment. It needs ctypes for the raw system
calls of the lock-down, and a process that has loaded ctypes can always load it again, so model code
never runs here: once locked down this process execs a fresh interpreter (stage 2, engram_sandbox.py)
that inherits every restriction and never had ctypes. In order:

1. runs as an unprivileged user (drops root to 65534 when started as root) with no capabilities;
2. rlimits: address space, CPU, no file writes, no core dumps, 32 descriptors, no processes;
3. Landlock: read-only access to the memory and the system libraries, of the interpreter's native
   modules only those on an allow-list (never _ctypes, _testcapi...), execute on nothing but the
   interpreter and its loader;
4. seccomp: the allow-list filter built by seccomp-filter.ts (everything else fails with EPERM);
   exec only through one descriptor, which stage 2 can neither have nor create (it lies above the
   descriptor limit);
5. exec of stage 2 through that descriptor, with an empty environment.

Anything that cannot be done is reported on fd 3 as `refused` and nothing runs.
"""

import base64
import ctypes
import errno
import json
import os
import platform
import resource
import signal
import struct
import sys

CHANNEL_FD = 3
# Above RLIMIT_NOFILE (32): stage 2 cannot open or duplicate anything onto it.
EXEC_FD = 40
UNPRIVILEGED = 65534
# Native modules of the interpreter that model code may load; the rest (ctypes, the test modules
# that poke at memory, sockets-over-ssl, terminals, subinterpreters) stay unreadable.
ALLOWED_NATIVE_MODULES = frozenset(
    [
        "_asyncio", "_bisect", "_blake2", "_bz2", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp",
        "_codecs_kr", "_codecs_tw", "_contextvars", "_crypt", "_csv", "_datetime", "_decimal", "_hashlib",
        "_heapq", "_json", "_lsprof", "_lzma", "_md5", "_multibytecodec", "_opcode", "_pickle", "_queue",
        "_random", "_sha1", "_sha256", "_sha3", "_sha512", "_sqlite3", "_statistics", "_struct", "_typing",
        "_uuid", "_zoneinfo", "array", "audioop", "binascii", "cmath", "math", "mmap", "pyexpat", "resource",
        "select", "unicodedata", "zlib",
    ]
)

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.prctl.restype = ctypes.c_int


def fail_errno(what):
    error = ctypes.get_errno()
    raise OSError(error, "%s failed: %s" % (what, os.strerror(error)))


# --- 1. user and capabilities -------------------------------------------------------------------


def drop_root():
    """As root, become nobody for good (real, effective and saved ids; no supplementary groups)."""
    if os.getuid() != 0 and os.geteuid() != 0:
        return
    os.setgroups([])
    os.setresgid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)
    os.setresuid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)


def effective_capabilities():
    header = struct.pack("=Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)
    if libc.syscall(SYSCALLS["capget"], header, data) != 0:
        fail_errno("capget")
    values = struct.unpack("=6I", data.raw)  # (effective, permitted, inheritable) x 2 words
    return values[0] | (values[3] << 32)


# --- 2. rlimits ---------------------------------------------------------------------------------


def apply_rlimits(limits):
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    # Nothing may be written to disk from inside; EFBIG instead of a SIGXFSZ kill.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


# --- 3. Landlock --------------------------------------------------------------------------------

SYSCALLS = {
    "x86_64": {"capget": 125, "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446},
    "aarch64": {"capget": 90, "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446},
}.get(platform.machine(), {})
LANDLOCK_FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
EXECUTE, READ_FILE, READ_DIR = 1 << 0, 1 << 2, 1 << 3
LANDLOCK_NET_ALL = (1 << 0) | (1 << 1)  # BIND_TCP | CONNECT_TCP
LANDLOCK_SCOPE_ALL = (1 << 0) | (1 << 1)  # abstract unix sockets, signals


def landlock_abi():
    if "landlock_create_ruleset" not in SYSCALLS:
        return 0
    abi = libc.syscall(SYSCALLS["landlock_create_ruleset"], None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return abi if abi > 0 else 0


class Ruleset:
    def __init__(self, abi):
        fields = [LANDLOCK_FS_RIGHTS_BY_ABI.get(abi, LANDLOCK_FS_RIGHTS_BY_ABI[5])]
        if abi >= 4:
            fields.append(LANDLOCK_NET_ALL)
        if abi >= 6:
            fields.append(LANDLOCK_SCOPE_ALL)
        attr = struct.pack("=%dQ" % len(fields), *fields)
        self.fd = libc.syscall(SYSCALLS["landlock_create_ruleset"], attr, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
        if self.fd < 0:
            fail_errno("landlock_create_ruleset")

    def allow(self, path, rights):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        if not os.path.isdir(path):
            rights &= ~READ_DIR
        beneath = struct.pack("=Qi", rights, fd)
        result = libc.syscall(
            SYSCALLS["landlock_add_rule"], ctypes.c_int(self.fd), ctypes.c_int(1), beneath, ctypes.c_uint32(0)
        )
        os.close(fd)
        if result < 0:
            fail_errno("landlock_add_rule")

    def allow_reading_except(self, root, hidden):
        """Read access beneath `root`, except inside the folder `hidden` (when it lies beneath it),
        where only the allowed native modules may be read."""
        if not (hidden + "/").startswith(root.rstrip("/") + "/"):
            self.allow(root, READ_FILE | READ_DIR)
            return
        if root == hidden:
            self.allow(root, READ_DIR)
            for name in sorted(os.listdir(root)):
                if name.split(".")[0] in ALLOWED_NATIVE_MODULES:
                    self.allow(os.path.join(root, name), READ_FILE)
            return
        self.allow(root, READ_DIR)
        for name in sorted(os.listdir(root)):
            self.allow_reading_except(os.path.join(root, name), hidden)

    def restrict_self(self):
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            fail_errno("PR_SET_NO_NEW_PRIVS")
        if libc.syscall(SYSCALLS["landlock_restrict_self"], ctypes.c_int(self.fd), ctypes.c_uint32(0)) < 0:
            fail_errno("landlock_restrict_self")
        os.close(self.fd)


def native_modules_folder():
    return next((os.path.realpath(path) for path in sys.path if path.endswith("lib-dynload")), None)


def program_interpreter(executable):
    """The ELF loader (PT_INTERP) the interpreter binary names: exec needs to open it too."""
    with open(executable, "rb") as binary:
        head = binary.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return None
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        for index in range(phnum):
            binary.seek(phoff + index * phentsize)
            kind, _, offset, _, _, size = struct.unpack("<IIQQQQ", binary.read(40))
            if kind == 3:  # PT_INTERP
                binary.seek(offset)
                return os.path.realpath(binary.read(size).rstrip(b"\0").decode())
    return None


def apply_landlock(read_only_paths, executable):
    """Read access beneath `read_only_paths` (native modules allow-listed), execute on the interpreter
    and its loader, nothing else: no writes anywhere, and (ABI 4+) no TCP, (ABI 6+) no signals or
    abstract sockets outside the sandbox. Returns the ABI used, 0 if the kernel has none."""
    abi = landlock_abi()
    if abi == 0:
        return 0
    hidden = native_modules_folder()
    roots = sorted({os.path.realpath(path) for path in read_only_paths if os.path.exists(path)})
    # A folder already beneath another one adds nothing; the native modules folder itself is never
    # granted whole, only through the exception above.
    roots = [root for root in roots if not any(root != other and root.startswith(other + "/") for other in roots)]
    ruleset = Ruleset(abi)
    for root in roots:
        ruleset.allow_reading_except(root, hidden or "/nonexistent")
    for binary in filter(None, [os.path.realpath(executable), program_interpreter(executable)]):
        ruleset.allow(binary, EXECUTE | READ_FILE)
    ruleset.restrict_self()
    return abi


# --- 4. seccomp ---------------------------------------------------------------------------------


def install_seccomp(program):
    if len(program) % 8 != 0 or not program:
        raise OSError(errno.EINVAL, "the seccomp program is malformed")
    buffer = ctypes.create_string_buffer(program)
    fprog = struct.pack("@HP", len(program) // 8, ctypes.addressof(buffer))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        fail_errno("PR_SET_NO_NEW_PRIVS")
    if libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        fail_errno("PR_SET_SECCOMP")


def refused_by_filter(probes):
    """Calls each probe (syscall number and harmless arguments) and tells whether the filter answered
    EPERM. The arguments are invalid on purpose, so a missing filter would do nothing harmful."""
    outcome = {}
    for name, number, args in probes:
        result = libc.syscall(number, *[ctypes.c_long(arg) for arg in args])
        outcome[name] = result == -1 and ctypes.get_errno() == errno.EPERM
    return outcome


# --- the whole sequence -------------------------------------------------------------------------


def main():
    config = json.loads(sys.argv[1])
    stage2 = sys.argv[2]
    try:
        os.chdir(config["memory_root"])
        drop_root()
        checks = {"runs_unprivileged": os.getuid() != 0 and os.geteuid() != 0}
        checks["no_capabilities"] = effective_capabilities() == 0
        executable = os.path.realpath(sys.executable)
        exec_fd = os.open(executable, os.O_PATH | os.O_CLOEXEC)
        os.dup2(exec_fd, EXEC_FD, inheritable=False)
        os.close(exec_fd)
        os.environ.clear()
        apply_rlimits(config["limits"])
        # The interpreter's own library folders stay readable, wherever this Python is installed.
        own = [path for path in sys.path if path and os.path.isdir(path)] + [os.path.join(sys.base_prefix, "lib")]
        landlock = apply_landlock(config["read_only_paths"] + own, executable)
        if config["require_landlock"] and landlock == 0:
            raise OSError(errno.ENOSYS, "Landlock is required but not available")
        install_seccomp(base64.b64decode(config["seccomp"]))
        if config["probe"]:
            checks.update(refused_by_filter(config["probe_syscalls"]))
    except Exception as error:
        message = json.dumps({"op": "refused", "error": "%s: %s" % (type(error).__name__, error)}) + "\n"
        os.write(CHANNEL_FD, message.encode())
        return
    stage = json.dumps({"landlock_abi": landlock, "stage1_checks": checks})
    os.execve(EXEC_FD, [executable, "-I", "-S", "-B", "-c", stage2, stage], {})


main()
