"""Engram's sandbox, stage 2: runs one snippet of model-written Python against a markdown memory.

Exec'd by stage 1 (engram_lockdown.py) once the process is locked down: rlimits, Landlock and the
seccomp allow-list are inherited, and this interpreter never loads ctypes (Landlock keeps it
unreadable), so nothing here can undo them. The request is JSON on stdin; fd 3 is the only channel
back. The memory functions are stubs that ask the Engram process over fd 3, which enforces paths,
limits and atomic writes. Output of `print` is swallowed, so it cannot corrupt the JSON result.
"""

import builtins
import errno
import importlib.machinery
import io
import json
import os
import sys
import types

import _socket  # before the module blocker: the probe checks the socket syscall itself

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


# --- the module blocker -------------------------------------------------------------------------


class ModuleBlocker:
    """A plain answer instead of an EPERM deep inside a library. Not the boundary: removing it gains
    nothing, as the kernel refuses what these modules would do and ctypes cannot even be read."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_MODULES:
            raise ImportError("module %s is not available in the memory sandbox" % name)
        return None


# --- running the snippet -----------------------------------------------------------------------


# Signatures exactly as the model was trained on them. Compiled apart, with globals that hold only
# the one function that asks over the channel: a stub's __globals__, __closure__ or code leads to
# nothing the snippet could not build for itself.
STUB_SOURCE = """
def create_file(file_path: str, content: str = "") -> bool:
    return _call("create_file", file_path, content)

def update_file(file_path: str, old_content: str, new_content: str):
    return _call("update_file", file_path, old_content, new_content)

def read_file(file_path: str) -> str:
    return _call("read_file", file_path)

def delete_file(file_path: str) -> bool:
    return _call("delete_file", file_path)

def check_if_file_exists(file_path: str) -> bool:
    return _call("check_if_file_exists", file_path)

def create_dir(dir_path: str) -> bool:
    return _call("create_dir", dir_path)

def list_files(dir_path: str = "") -> str:
    return _call("list_files", dir_path)

def check_if_dir_exists(dir_path: str) -> bool:
    return _call("check_if_dir_exists", dir_path)

def get_size(file_or_dir_path: str = "") -> int:
    return _call("get_size", file_or_dir_path)

def go_to_link(link_string: str) -> str:
    return _call("go_to_link", link_string)
"""
REPLY_ERRORS = {"FileNotFoundError": FileNotFoundError, "ValueError": ValueError}


def define_functions(channel, stats):
    def call(name, *args):
        stats["calls"] += 1
        channel.send({"op": "call", "fn": name, "args": list(args)})
        reply = channel.receive()
        if "raise" in reply:
            raise REPLY_ERRORS.get(reply["raise"]["type"], RuntimeError)(reply["raise"]["message"])
        return reply["value"]

    scope = {"__builtins__": builtins, "_call": call}
    exec(compile(STUB_SOURCE, "<memory-functions>", "exec"), scope)
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


def probe(memory_root):
    """What the lock-down achieved, checked from inside with the same calls model code would make (the
    import blocker is not what is being tested); the runner refuses a mode that falls short."""
    checks = {"environment_empty": len(os.environ) == 0}
    try:
        _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM).close()
        checks["socket_blocked"] = False
    except OSError as error:
        checks["socket_blocked"] = error.errno == errno.EPERM
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
        with open(os.path.join(memory_root, ".probe-write.tmp"), "w"):
            checks["memory_read_only"] = False
    except OSError:
        checks["memory_read_only"] = True
    checks["ctypes_unloadable"] = not can_load_native("_ctypes")
    return checks


def can_load_native(name):
    """Whether a native module could be loaded by going around every Python-level guard."""
    for folder in [path for path in sys.path if path.endswith("lib-dynload")]:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            location = os.path.join(folder, name + suffix)
            loader = importlib.machinery.ExtensionFileLoader(name, location)
            spec = importlib.machinery.ModuleSpec(name, loader, origin=location)
            try:
                loader.create_module(spec)
                return True
            except (ImportError, OSError):
                continue
    return False


def main():
    stage = json.loads(sys.argv[1])
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    channel = Channel(CHANNEL_FD)
    # Exec'd with no environment; the interpreter's locale coercion (PEP 538) may have set LC_CTYPE.
    os.environ.clear()
    for name in [name for name in sys.modules if name.split(".")[0] in BLOCKED_MODULES]:
        del sys.modules[name]
    sys.meta_path.insert(0, ModuleBlocker())
    if request.get("probe"):
        checks = dict(stage["stage1_checks"], **probe(request["memory_root"]))
        channel.send({"op": "probe", "landlock_abi": stage["landlock_abi"], "uid": os.getuid(), "checks": checks})
        return
    channel.send(run(request, channel))


main()
