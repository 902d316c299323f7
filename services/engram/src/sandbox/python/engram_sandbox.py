"""Engram's sandbox harness: runs one snippet of model-written Python against a markdown memory.

Started by sandbox.runner.ts as `python3 -I -S -B -c <this file>` (inside bubblewrap when available),
with an empty environment, the request as JSON on stdin and a socket on fd 3: the only channel back.
Before any model code runs it locks itself down (rlimits, Landlock, seccomp); the memory functions are
stubs that ask the Engram process over fd 3, which enforces paths, limits and atomic writes. Output of
`print` is swallowed, so it cannot corrupt the JSON result.
"""

import builtins
import ctypes
import errno
import io
import json
import os
import platform
import resource
import signal
import struct
import sys
import types

CHANNEL_FD = 3
CODE_NAME = "<memory-code>"
MEMORY_FUNCTIONS = (
    "create_file",
    "update_file",
    "read_file",
    "delete_file",
    "check_if_file_exists",
    "create_dir",
    "list_files",
    "check_if_dir_exists",
    "get_size",
    "go_to_link",
)
# Refused at import with a clear message. Not the boundary (seccomp and the namespaces are), just a
# plain answer instead of an EPERM deep inside a library.
BLOCKED_MODULES = frozenset(
    ["subprocess", "_posixsubprocess", "socket", "_socket", "ctypes", "_ctypes", "multiprocessing", "pty", "ssl"]
)

# --- the channel -------------------------------------------------------------------------------


class Channel:
    def __init__(self, fd):
        self.fd = fd
        self.buffer = b""

    def send(self, message):
        data = (json.dumps(message, default=unsupported_value) + "\n").encode("utf-8", "surrogatepass")
        while data:
            written = os.write(self.fd, data)
            data = data[written:]

    def receive(self):
        while b"\n" not in self.buffer:
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                os._exit(3)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


def unsupported_value(value):
    return {"unsupported_type": type(value).__name__}


# --- lock-down ---------------------------------------------------------------------------------


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


libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.prctl.restype = ctypes.c_int

SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
LANDLOCK_READ = (1 << 2) | (1 << 3)  # READ_FILE | READ_DIR
LANDLOCK_NET_ALL = (1 << 0) | (1 << 1)  # BIND_TCP | CONNECT_TCP
LANDLOCK_SCOPE_ALL = (1 << 0) | (1 << 1)  # abstract unix sockets, signals


def landlock_abi():
    abi = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return abi if abi > 0 else 0


def apply_landlock(read_only_paths):
    """Read access beneath `read_only_paths`, nothing else: no writes anywhere, and (ABI 4+) no TCP,
    (ABI 6+) no signals or abstract sockets outside the sandbox. Returns the ABI used, 0 if none."""
    abi = landlock_abi()
    if abi == 0:
        return 0
    fs_rights = LANDLOCK_FS_RIGHTS_BY_ABI.get(abi, LANDLOCK_FS_RIGHTS_BY_ABI[5])
    fields = [fs_rights]
    if abi >= 4:
        fields.append(LANDLOCK_NET_ALL)
    if abi >= 6:
        fields.append(LANDLOCK_SCOPE_ALL)
    attr = struct.pack("=%dQ" % len(fields), *fields)
    ruleset = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    for path in read_only_paths:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        beneath = struct.pack("=Qi", LANDLOCK_READ if os.path.isdir(path) else (1 << 2), fd)
        result = libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(1), beneath, ctypes.c_uint32(0))
        os.close(fd)
        if result < 0:
            raise OSError(ctypes.get_errno(), "landlock_add_rule failed for a path")
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(ruleset)
    return abi


# Syscalls refused with EPERM (clone3 with ENOSYS so libc falls back to clone, refused too): no new
# processes or threads, no sockets, no signals or tracing of other processes, no namespace, mount,
# module, BPF, keyring or io_uring tricks, no hard or symbolic links, and no changes to file modes,
# owners, times, attributes or lengths (Landlock does not cover those, and the service may run as root).
DENIED_SYSCALLS = {
    "x86_64": {
        "arch": 0xC000003E,
        "numbers": [
            41, 53, 42, 49, 50, 43, 288, 56, 57, 58, 59, 322, 62, 200, 234, 129, 297, 424, 434, 438, 101, 310,
            311, 165, 166, 272, 308, 155, 161, 321, 298, 323, 425, 426, 427, 248, 249, 250, 175, 313, 176, 246,
            320, 303, 304, 135, 88, 266, 86, 265, 133, 259, 302, 312, 440, 90, 91, 268, 452, 92, 93, 94, 260,
            188, 189, 190, 197, 198, 199, 76, 132, 235, 261, 280,
        ],
        "enosys": [435],
        "x32_bit": 0x40000000,
    },
    "aarch64": {
        "arch": 0xC00000B7,
        "numbers": [
            198, 199, 203, 200, 201, 202, 242, 220, 221, 281, 129, 130, 131, 138, 240, 424, 434, 438, 117, 270, 271,
            40, 39, 97, 268, 41, 51, 280, 241, 282, 425, 426, 427, 217, 218, 219, 105, 273, 106, 104, 294, 264,
            265, 92, 36, 37, 33, 261, 272, 440, 52, 53, 452, 54, 55, 5, 6, 7, 14, 15, 16, 45, 88,
        ],
        "enosys": [435],
        "x32_bit": None,
    },
}


def install_seccomp():
    table = DENIED_SYSCALLS.get(platform.machine())
    if table is None:
        raise OSError(errno.ENOSYS, "no seccomp table for this CPU architecture")
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, kill = 0x7FFF0000, 0x80000000

    def deny(err):
        return 0x00050000 | err

    program = [(ld_abs, 0, 0, 4), (jeq, 1, 0, table["arch"]), (ret, 0, 0, kill), (ld_abs, 0, 0, 0)]
    if table["x32_bit"] is not None:
        program += [(jge, 0, 1, table["x32_bit"]), (ret, 0, 0, deny(errno.EPERM))]
    for number in table["enosys"]:
        program += [(jeq, 0, 1, number), (ret, 0, 0, deny(errno.ENOSYS))]
    for number in table["numbers"]:
        program += [(jeq, 0, 1, number), (ret, 0, 0, deny(errno.EPERM))]
    program.append((ret, 0, 0, allow))
    filters = b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(filters)
    fprog = struct.pack("@HP", len(program), ctypes.addressof(buffer))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")


class ModuleBlocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_MODULES:
            raise ImportError("module %s is not available in the memory sandbox" % name)
        return None


def lock_down(request):
    os.environ.clear()
    apply_rlimits(request["limits"])
    # The interpreter's own library folders stay readable, wherever this Python is installed.
    own = [path for path in sys.path if path and os.path.isdir(path)] + [os.path.join(sys.base_prefix, "lib")]
    landlock = apply_landlock(request["read_only_paths"] + own)
    if request["require_landlock"] and landlock == 0:
        raise OSError(errno.ENOSYS, "Landlock is required but not available")
    install_seccomp()
    for name in [name for name in sys.modules if name.split(".")[0] in BLOCKED_MODULES]:
        del sys.modules[name]
    sys.meta_path.insert(0, ModuleBlocker())
    return landlock


# --- running the snippet -----------------------------------------------------------------------


class Violation(Exception):
    pass


def memory_function(channel, name, stats):
    def call(*args):
        stats["calls"] += 1
        channel.send({"op": "call", "fn": name, "args": list(args)})
        reply = channel.receive()
        if "raise" in reply:
            error_type = {"FileNotFoundError": FileNotFoundError, "ValueError": ValueError}.get(
                reply["raise"]["type"], RuntimeError
            )
            raise error_type(reply["raise"]["message"])
        return reply["value"]

    return call


def define_functions(channel, stats):
    call = {name: memory_function(channel, name, stats) for name in MEMORY_FUNCTIONS}

    # Signatures exactly as the model was trained on them.
    def create_file(file_path: str, content: str = "") -> bool:
        return call["create_file"](file_path, content)

    def update_file(file_path: str, old_content: str, new_content: str):
        return call["update_file"](file_path, old_content, new_content)

    def read_file(file_path: str) -> str:
        return call["read_file"](file_path)

    def delete_file(file_path: str) -> bool:
        return call["delete_file"](file_path)

    def check_if_file_exists(file_path: str) -> bool:
        return call["check_if_file_exists"](file_path)

    def create_dir(dir_path: str) -> bool:
        return call["create_dir"](dir_path)

    def list_files(dir_path: str = "") -> str:
        return call["list_files"](dir_path)

    def check_if_dir_exists(dir_path: str) -> bool:
        return call["check_if_dir_exists"](dir_path)

    def get_size(file_or_dir_path: str = "") -> int:
        return call["get_size"](file_or_dir_path)

    def go_to_link(link_string: str) -> str:
        return call["go_to_link"](link_string)

    scope = locals()
    return {name: scope[name] for name in MEMORY_FUNCTIONS}


class SwallowedOutput(io.TextIOBase):
    """Where print goes: counted, then dropped, so output can neither corrupt nor bloat the result."""

    def __init__(self):
        self.characters = 0

    def writable(self):
        return True

    def write(self, text):
        self.characters += len(text)
        return len(text)


PLAIN_SCALARS = (str, int, float, bool, type(None))


def plain(value, limit, depth=0, seen=None):
    """Plain data stays as it is (long strings cut with a visible marker); anything else becomes its
    repr as a string, as the model saw in training."""
    seen = set() if seen is None else seen
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "…[truncated %d characters]" % (len(value) - limit)
    if isinstance(value, PLAIN_SCALARS):
        return value
    if isinstance(value, (list, tuple, set, dict)) and depth < 20 and id(value) not in seen:
        seen.add(id(value))
        if isinstance(value, dict):
            return {plain(k, limit, depth + 1, seen): plain(v, limit, depth + 1, seen) for k, v in value.items()}
        items = [plain(item, limit, depth + 1, seen) for item in value]
        return items if isinstance(value, list) else tuple(items) if isinstance(value, tuple) else set_or_list(items)
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…[truncated]"


def set_or_list(items):
    try:
        return set(items)
    except TypeError:
        return items


def describe_error(error, root):
    text = "%s: %s" % (type(error).__name__, error)
    line = getattr(error, "lineno", None) if isinstance(error, SyntaxError) else None
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == CODE_NAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    if line is not None:
        text += " (line %d)" % line
    return text.replace(root + "/", "").replace(root, ".")


def violation_kind(error):
    if isinstance(error, MemoryError):
        return "memory"
    if isinstance(error, ImportError) and "memory sandbox" in str(error):
        return "import"
    if isinstance(error, (PermissionError, OSError)) and getattr(error, "errno", None) in (errno.EPERM, errno.EACCES, errno.EROFS, errno.ENOSYS):
        return "denied"
    return None


def run(request, channel):
    stats = {"calls": 0}
    functions = define_functions(channel, stats)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    namespace.update(functions)
    initial = dict(namespace)
    output = SwallowedOutput()
    sys.stdout = sys.stderr = output
    limit = request["max_value_chars"]
    try:
        exec(compile(request["code"], CODE_NAME, "exec"), namespace)
    except BaseException as error:  # SystemExit and KeyboardInterrupt are the model's errors too
        error_text = describe_error(error, request["memory_root"])
        return {"op": "done", "ok": False, "error": error_text, "violation": violation_kind(error)}
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    created = {
        name: value
        for name, value in namespace.items()
        if not name.startswith("__")
        and not isinstance(value, types.ModuleType)
        and (name not in initial or initial[name] is not value)
    }
    variables = {name: plain(value, limit) for name, value in created.items()}
    return {"op": "done", "ok": True, "result": repr(variables), "calls": stats["calls"], "printed": output.characters}


def probe():
    """What the lock-down achieved, checked from inside with the raw syscalls (the import blocker is
    not what is being tested); the runner refuses a mode that falls short."""
    socket_syscall = {"x86_64": 41, "aarch64": 198}[platform.machine()]
    checks = {"environment_empty": len(os.environ) == 0}
    checks["socket_blocked"] = libc.syscall(socket_syscall, 2, 1, 0) == -1 and ctypes.get_errno() == errno.EPERM
    try:
        os.fork()
        checks["fork_blocked"] = False
    except OSError as error:
        checks["fork_blocked"] = error.errno == errno.EPERM
    try:
        os.execv(sys.executable, [sys.executable, "-c", "pass"])
    except OSError as error:
        checks["exec_blocked"] = error.errno == errno.EPERM
    try:
        with open("/etc/passwd", "rb"):
            checks["host_files_hidden"] = False
    except OSError:
        checks["host_files_hidden"] = True
    try:
        with open(".probe-write.tmp", "w"):
            checks["memory_read_only"] = False
    except OSError:
        checks["memory_read_only"] = True
    return checks


def main():
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    channel = Channel(CHANNEL_FD)
    try:
        landlock = lock_down(request)
    except Exception as error:
        channel.send({"op": "refused", "error": "%s: %s" % (type(error).__name__, error)})
        return
    os.chdir(request["memory_root"])
    if request.get("probe"):
        channel.send({"op": "probe", "landlock_abi": landlock, "uid": os.getuid(), "checks": probe()})
        return
    channel.send(run(request, channel))


main()
