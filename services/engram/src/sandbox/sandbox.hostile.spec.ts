import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryDirectoryRepository } from '../agent/memory-dir/memory-directory.repository';
import { MemoryFunctions } from '../agent/memory-dir/memory-functions';
import { AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { SandboxMode } from './sandbox-command';
import { detectIsolation } from './sandbox-isolation';
import { SandboxOutcome, SandboxRunner } from './sandbox.runner';
import { SandboxService } from './sandbox.service';

const SECRET = 'TOP-SECRET-7f3a9c';
const PYTHON = '/usr/bin/python3';
const TIMEOUT_MS = 2500;

interface Hostile {
  name: string;
  code: (ctx: Context) => string;
  /** Checks the outcome beyond the common rules (no secret in it, nothing written outside). */
  check: (outcome: SandboxOutcome, ctx: Context) => void;
}

interface Context {
  base: string;
  root: string;
  outside: string;
  port: number;
}

const failed = (outcome: SandboxOutcome, pattern?: RegExp) => {
  assert.equal(outcome.kind, 'error', `expected a failure, got ${JSON.stringify(outcome)}`);
  if (pattern && outcome.kind === 'error') assert.match(outcome.error, pattern);
};
const result = (outcome: SandboxOutcome): string => {
  assert.equal(outcome.kind, 'ok', `expected a result, got ${JSON.stringify(outcome)}`);
  return outcome.kind === 'ok' ? outcome.result : '';
};
/** Collects, from every object reachable from `start` (depth-first, bounded), the names bound to modules or CDLLs. */
const REACHABLE = `
def _reach(start, limit=20000):
    import types
    seen, stack, found = set(), [start], set()
    while stack and len(seen) < limit:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        kind = type(o).__name__
        if kind in ('CDLL', 'PyDLL', 'CFuncPtr') or (isinstance(o, types.ModuleType) and o.__name__.split('.')[0] in ('ctypes', '_ctypes')):
            found.add(kind)
        if isinstance(o, dict):
            for key, value in o.items():
                if key in ('libc', 'ctypes', '_ctypes', 'install_seccomp', 'apply_landlock'):
                    found.add(key)
                stack.append(value)
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        for attribute in ('__globals__', '__closure__', '__dict__', '__self__', '__func__', 'cell_contents', 'f_globals', 'f_locals', 'f_back', 'tb_frame', 'tb_next', 'gi_frame', '__traceback__', '__class__', '__defaults__', '__kwdefaults__'):
            try:
                stack.append(getattr(o, attribute))
            except Exception:
                pass
    return sorted(found)
`;

/** Each snippet is something a hostile or confused model could write; all must fail safely. */
const HOSTILE: Hostile[] = [
  { name: 'open /etc/passwd', code: () => "x = open('/etc/passwd').read()", check: (o) => failed(o, /Error/) },
  {
    name: 'read_file on an absolute path',
    code: () => "x = read_file('/etc/passwd')",
    check: (o) => assert.match(result(o), /'x': 'Error: absolute paths are not allowed/),
  },
  {
    name: 'read_file with .. escaping the memory',
    code: () => "x = read_file('../outside/secret.txt')",
    check: (o) => assert.match(result(o), /'x': 'Error: .*outside the memory/),
  },
  { name: 'open with .. escaping', code: () => "x = open('../outside/secret.txt').read()", check: (o) => failed(o) },
  {
    name: 'open the host path of a file outside',
    code: (c) => `x = open(${JSON.stringify(join(c.outside, 'secret.txt'))}).read()`,
    check: (o) => failed(o),
  },
  {
    name: "open the service's own files",
    code: () => `x = [open(p).read() for p in ${JSON.stringify([__filename, join(process.cwd(), 'package.json')])}]`,
    check: (o) => failed(o),
  },
  { name: 'open /proc/self/environ', code: () => "x = open('/proc/self/environ').read()", check: (o) => failed(o) },
  {
    name: "read the parent's environment through /proc",
    code: () => "import os\nx = open('/proc/%d/environ' % os.getppid()).read()",
    check: (o) => failed(o),
  },
  {
    name: 'os.environ is empty',
    code: () => 'import os\nx = dict(os.environ)\ny = os.getenv("PATH")',
    check: (o) => assert.equal(result(o), "{'x': {}, 'y': None}"),
  },
  {
    name: 'the root shows nothing of the host',
    code: () => "import os\nx = sorted(os.listdir('/'))",
    check: (o) => {
      if (o.kind === 'ok')
        for (const name of ['etc', 'root', 'home', 'var', 'proc']) assert.ok(!o.result.includes(`'${name}'`), name);
    },
  },
  {
    name: 'import subprocess',
    code: () => "import subprocess\nsubprocess.run(['id'])",
    check: (o) => failed(o, /not available/),
  },
  {
    name: 'os.system',
    code: () => "import os\nx = os.system('touch pwned')",
    check: (o, c) => {
      assert.doesNotMatch(result(o), /'x': 0\b/);
      assert.equal(existsSync(join(c.root, 'pwned')), false);
    },
  },
  { name: 'os.fork', code: () => 'import os\npid = os.fork()', check: (o) => failed(o, /PermissionError/) },
  {
    name: 'fork bomb',
    code: () => 'import os\nwhile True:\n    os.fork()',
    check: (o) => failed(o, /PermissionError/),
  },
  {
    name: 'os.execv',
    code: () => "import os\nos.execv('/bin/sh', ['sh', '-c', 'id'])",
    check: (o) => failed(o, /Error/),
  },
  {
    name: 'os.posix_spawn',
    code: () => "import os\nos.posix_spawn('/bin/sh', ['sh'], {})",
    check: (o) => failed(o, /Error/),
  },
  {
    name: 'threads',
    code: () => 'import _thread\n_thread.start_new_thread(lambda: None, ())',
    check: (o) => failed(o, /can't start new thread|RuntimeError|PermissionError/),
  },
  {
    name: 'import socket',
    code: () => 'import socket',
    check: (o) => failed(o, /not available in the memory sandbox/),
  },
  {
    name: 'urllib to a listener on 127.0.0.1',
    code: (c) => `import urllib.request\nx = urllib.request.urlopen('http://127.0.0.1:${c.port}/').read()`,
    check: (o) => failed(o),
  },
  {
    name: "a memory function's globals hold only the functions and the call that asks over the channel",
    code: () => 'x = sorted(set(read_file.__globals__) - set(globals()))',
    check: (o) => assert.equal(result(o), "{'x': ['_call']}"),
  },
  {
    name: 'nothing reachable from the functions, frames, tracebacks, sys.modules or gc is ctypes or libc',
    code: () =>
      `${REACHABLE}
import sys, gc
loop = []
loop.append(loop)
try:
    read_file.__globals__['_call']('read_file', loop)
except Exception as error:
    caught = error
roots = [read_file, create_file.__globals__, sys._getframe(), caught, sys.modules, (g for g in [1])]
x = _reach(roots)
y = sorted({type(o).__name__ for o in gc.get_objects()} & {'CDLL', 'PyDLL', 'CFuncPtr'})
del roots, caught, _reach, gc, sys, loop`,
    check: (o) => assert.equal(result(o), "{'x': [], 'y': []}"),
  },
  {
    name: 'the module blocker removed, ctypes still cannot be imported',
    code: () =>
      "import sys\nsys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != 'ModuleBlocker']\nimport ctypes",
    check: (o) => failed(o, /ImportError|Permission denied|cannot open/),
  },
  {
    name: '_ctypes loaded straight from its file by the extension loader',
    code: () =>
      "import importlib.machinery as m, sys\nd = [p for p in sys.path if p.endswith('lib-dynload')][0]\nimport os\nf = [n for n in os.listdir(d) if n.startswith('_ctypes.')][0]\nl = m.ExtensionFileLoader('_ctypes', os.path.join(d, f))\nl.create_module(m.ModuleSpec('_ctypes', l, origin=l.path))",
    check: (o) => failed(o, /ImportError|Permission denied|cannot open|PermissionError/),
  },
  {
    name: 'the test modules that poke at memory cannot be loaded either',
    code: () => 'import _testcapi',
    check: (o) => failed(o, /Error/),
  },
  {
    name: 'the kernel log is out of reach',
    code: () => "x = open('/dev/kmsg').read(100)",
    check: (o) => failed(o),
  },
  {
    name: 'runs as an unprivileged user without capabilities, even when the service is root',
    code: () =>
      "import os\nx = (os.getuid(), os.geteuid(), os.getgid())\ny = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')] if os.path.exists('/proc/self/status') else 'hidden'",
    check: (o) => {
      if (o.kind === 'ok')
        assert.match(o.result, /^\{'x': \(65534, 65534, 65534\), 'y': (?:\['0000000000000000'\]|'hidden')\}$/);
      else failed(o, /PermissionError/);
    },
  },
  {
    name: 'the exec descriptor cannot be recreated above the descriptor limit',
    code: () =>
      "import os, fcntl\ntry:\n    os.dup2(3, 40)\nexcept OSError as error:\n    x = error.errno\nos.execve(fcntl.fcntl(3, fcntl.F_DUPFD, 40), ['python3'], {})",
    check: (o) => failed(o, /OSError: \[Errno 22\] Invalid argument/),
  },
  {
    name: 'raise an rlimit, become root, set the clock, renice',
    code: () =>
      "import os, resource, time\nout = []\nfor attempt in (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096)), lambda: os.setuid(0), lambda: time.clock_settime(time.CLOCK_REALTIME, 0), lambda: os.nice(-5)):\n    try:\n        attempt()\n        out.append('done')\n    except (OSError, ValueError) as error:\n        out.append(type(error).__name__)\nx = out\ndel out, attempt",
    check: (o) => assert.doesNotMatch(result(o), /done/),
  },
  { name: 'import ctypes', code: () => 'import ctypes', check: (o) => failed(o, /not available/) },
  {
    name: "ctypes from the harness's globals calling system()",
    code: () => "c = create_file.__globals__['ctypes']\nx = c.CDLL(None).system(b'touch pwned2')",
    check: (o, c) => {
      failed(o, /KeyError/);
      assert.equal(existsSync(join(c.root, 'pwned2')), false);
    },
  },
  {
    name: 'pathlib writing outside',
    code: (c) =>
      `import pathlib\npathlib.Path(${JSON.stringify(join(c.outside, 'new.txt'))}).write_text('x')\npathlib.Path('../outside/new2.txt').write_text('x')`,
    check: (o) => failed(o),
  },
  {
    name: 'open for writing inside the memory',
    code: () => "open('direct.md', 'w').write('x')",
    check: (o) => failed(o),
  },
  { name: 'chmod a memory file', code: () => "import os\nos.chmod('user.md', 0o777)", check: (o) => failed(o) },
  {
    name: 'symlink pointing outside, then followed',
    code: (c) =>
      `import os\nos.symlink(${JSON.stringify(join(c.outside, 'secret.txt'))}, 'leak.md')\nx = read_file('leak.md')`,
    check: (o) => failed(o),
  },
  {
    name: 'hard links, to a file outside the memory or inside it, cannot be made',
    code: (c) =>
      [
        'import os',
        'x = []',
        `for source, name in ((${JSON.stringify(join(c.outside, 'secret.txt'))}, 'hard.md'), ('user.md', 'twin.md')):`,
        '    try:',
        '        os.link(source, name)',
        "        x.append('made')",
        '    except OSError as error:',
        '        x.append(error.errno)',
        'del source, name',
      ].join('\n'),
    check: (o) => assert.equal(result(o), "{'x': [1, 1]}"),
  },
  {
    name: 'a symlink planted in the memory that leads outside',
    code: () =>
      "x = read_file('link_out/secret.txt')\ny = go_to_link('[[link_out/secret.txt]]')\nz = open('link_out/secret.txt').read()",
    check: (o) => failed(o),
  },
  {
    name: 'prefix sibling of the memory folder',
    code: () => "x = read_file('../memory_evil/x.md')",
    check: (o) => assert.match(result(o), /'x': 'Error: /),
  },
  {
    name: 'hidden .filters file',
    code: () => "x = create_file('.filters', '')",
    check: (o) => assert.equal(result(o), "{'x': False}"),
  },
  {
    name: 'infinite loop',
    code: () => 'while True:\n    pass',
    check: (o) => failed(o, /exceeded the 2.5-second limit/),
  },
  { name: 'memory bomb at once', code: () => "x = 'a' * (10 ** 10)", check: (o) => failed(o, /MemoryError/) },
  {
    name: 'memory bomb growing',
    code: () => "chunks = []\nwhile True:\n    chunks.append(' ' * 10 ** 6)",
    check: (o) => failed(o, /MemoryError|without a result/),
  },
  {
    name: 'huge write through create_file',
    code: () => "x = create_file('big.md', 'a' * (2 * 1024 * 1024))",
    check: (o, c) => {
      assert.equal(result(o), "{'x': False}");
      assert.equal(existsSync(join(c.root, 'big.md')), false);
    },
  },
  {
    name: 'kill the parent and pid 1',
    code: () => 'import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(1, signal.SIGKILL)',
    check: (o) => failed(o, /PermissionError/),
  },
  {
    name: 'raise the memory limit',
    code: () => 'import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))',
    check: (o) => failed(o),
  },
  { name: 'recursion bomb', code: () => 'def f():\n    return f()\nf()', check: (o) => failed(o, /RecursionError/) },
  {
    name: 'print cannot forge or corrupt the result',
    code: () => `print('{"op": "done", "ok": true, "result": "forged"}')\nprint('x' * 100000)\nx = 1`,
    check: (o) => assert.equal(result(o), "{'x': 1}"),
  },
  {
    name: 'garbage written to the result channel',
    code: () => "import os\nos.write(3, b'not json\\n')\nwhile True:\n    pass",
    check: (o) => failed(o, /malformed message/),
  },
  {
    name: 'a channel message of millions of members is refused unparsed (parsing it held the event loop for seconds)',
    code: () =>
      'import os\nos.write(3, b\'{"op": "call", "fn": "get_size", "args": [\' + b\'[],\' * (5 * 1024 * 1024) + b\'[]]}\\n\')\nwhile True:\n    pass',
    check: (o) => {
      failed(o, /sent a message of more than 1000 members/);
      assert.equal(o.kind === 'error' && o.violation, 'channel');
    },
  },
  {
    name: 'exit without a result',
    code: () => 'import os\nos._exit(0)',
    check: (o) => failed(o, /stopped without a result/),
  },
];

describe('sandbox: hostile snippets fail safely in every isolation mode that works here', () => {
  let ctx: Context;
  let listener: Server;
  let connections = 0;
  const modes: SandboxMode[] = [];
  const runner = new SandboxRunner();

  before(async () => {
    const base = mkdtempSync(join(tmpdir(), 'engram-hostile-'));
    const root = join(base, 'memory');
    const outside = join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    mkdirSync(join(base, 'memory_evil'));
    writeFileSync(join(base, 'memory_evil', 'x.md'), SECRET);
    writeFileSync(join(outside, 'secret.txt'), SECRET);
    writeFileSync(join(root, 'user.md'), '# User\n- name: Ana\n');
    symlinkSync(outside, join(root, 'link_out'));
    listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    ctx = { base, root, outside, port: (listener.address() as { port: number }).port };
    for (const mode of ['bwrap', 'landlock'] as const) {
      const report = await detectIsolation({ mode, python: PYTHON, timeoutMs: TIMEOUT_MS, memoryBytes: 256 << 20 });
      if (report.available) modes.push(mode);
    }
  });

  after(() => {
    listener.close();
    rmSync(ctx.base, { recursive: true, force: true });
  });

  it('has at least one isolation mode here, and at least 30 hostile snippets', () => {
    assert.ok(modes.length > 0, 'no isolation mode works on this machine');
    assert.ok(HOSTILE.length >= 30);
  });

  it('both modes also pass their probe for an unprivileged service user (uid 65534, as in the container)', (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to switch to uid 65534');
    const script = `
      const { detectIsolation } = require(${JSON.stringify(require.resolve('./sandbox-isolation'))});
      Promise.all(['bwrap', 'landlock'].map((mode) =>
        detectIsolation({ mode, python: ${JSON.stringify(PYTHON)}, timeoutMs: 5000, memoryBytes: 256 << 20 }, undefined, '/tmp')
      )).then((reports) => process.stdout.write(JSON.stringify(reports)));`;
    const child = spawnSync(process.execPath, ['-e', script], {
      uid: 65534,
      gid: 65534,
      cwd: '/tmp',
      encoding: 'utf8',
    });
    const reports = JSON.parse(child.stdout) as { available: boolean; mode?: string; uid?: number }[];
    const working = reports.filter((report) => report.available);
    assert.ok(working.length > 0, child.stdout);
    for (const report of working) assert.equal(report.uid, 65534);
  });

  for (const mode of ['bwrap', 'landlock'] as const) {
    it(`${mode}: well-behaved code runs, and the result is the repr of the variables it assigned`, async (t) => {
      if (!modes.includes(mode)) return t.skip(`${mode} isolation is not available here`);
      const calls: string[] = [];
      const outcome = await runner.run({
        mode,
        python: PYTHON,
        hostMemoryRoot: ctx.root,
        code: [
          'import json',
          "prefix = 'entities/'",
          "names = [prefix + n for n in ['a.md', 'b.md']]",
          'ok = create_file(names[0], "# A")',
          "size = get_size('')",
          "print('ignored')",
          'def helper():\n    return prefix',
          "text = read_file('user.md')",
          'flags = (True, None, 1.5)',
          "long = 'z' * 100",
        ].join('\n'),
        limits: { timeoutMs: TIMEOUT_MS, memoryBytes: 256 << 20, maxValueChars: 40 },
        onCall: async (fn, args) => {
          calls.push(`${fn}(${JSON.stringify(args)})`);
          return { value: fn === 'get_size' ? 42 : fn === 'read_file' ? '# User\n- name: Ana\n' : true };
        },
      });
      const text = result(outcome);
      assert.match(
        text,
        /^\{'prefix': 'entities\/', 'names': \['entities\/a.md', 'entities\/b.md'\], 'ok': True, 'size': 42, 'helper': '<function helper at 0x[0-9a-f]+>', 'text': '# User\\n- name: Ana\\n', 'flags': \(True, None, 1.5\), 'long': 'z{40}…\[truncated 60 characters\]'\}$/,
      );
      assert.deepEqual(calls, ['create_file(["entities/a.md","# A"])', 'get_size([""])', 'read_file(["user.md"])']);
    });

    it(`${mode}: the start-up probe sees every call outside the allow-list refused, as an unprivileged user`, async (t) => {
      if (!modes.includes(mode)) return t.skip(`${mode} isolation is not available here`);
      const outcome = await runner.run({
        mode,
        python: PYTHON,
        hostMemoryRoot: ctx.root,
        code: '',
        probe: true,
        limits: { timeoutMs: 10_000, memoryBytes: 256 << 20, maxValueChars: 100 },
        onCall: async () => ({ value: false }),
      });
      const checks = outcome.probe?.checks ?? {};
      const refused = Object.keys(checks).filter((check) => check.startsWith('refused_'));
      for (const name of ['syslog', 'reboot', 'settimeofday', 'clock_settime', 'swapon', 'acct', 'quotactl']) {
        assert.ok(refused.includes(`refused_${name}`), `${name} was not probed: ${refused.join(', ')}`);
      }
      for (const name of ['fsopen', 'fsmount', 'move_mount', 'open_tree', 'mount', 'unshare', 'bpf', 'ptrace']) {
        assert.ok(refused.includes(`refused_${name}`), `${name} was not probed`);
      }
      assert.deepEqual(
        Object.entries(checks).filter(([, passed]) => passed !== true),
        [],
      );
      assert.equal(outcome.probe?.uid, 65534);
    });

    it(`${mode}: a flood of calls on the channel stops the run at once; nothing is dispatched after it ends`, async (t) => {
      if (!modes.includes(mode)) return t.skip(`${mode} isolation is not available here`);
      const metrics = new EngramMetrics();
      const service = new SandboxService(
        {
          sandbox: { mode, python: PYTHON, timeoutMs: TIMEOUT_MS, memoryBytes: 256 << 20 },
          memoryDir: ctx.base,
        } as AppConfig,
        metrics,
      );
      let calls = 0;
      const onCall = async () => {
        calls += 1;
        return { value: 0 };
      };
      const flood = [
        'import os',
        `line = b'{"op": "call", "fn": "get_size", "args": [""]}\\n'`,
        'while True:',
        '    os.write(3, line * 1000)',
      ].join('\n');
      const outcome = await service.run(ctx.root, flood, 1000, onCall);
      failed(outcome, /sent a second message before the answer to its first/);
      assert.equal(outcome.kind === 'error' && outcome.violation, 'channel');
      assert.ok(calls <= 1, `${calls} calls were dispatched`);
      const callsAtEnd = calls;
      const oversized = "import os\nos.write(3, b'x' * (20 * 1024 * 1024))\nwhile True:\n    pass";
      const second = await service.run(ctx.root, oversized, 1000, onCall);
      failed(second, /sent an oversized message/);
      assert.equal(calls, callsAtEnd, 'calls were dispatched after the first run had ended');
      const violations = await metrics.sandboxViolations.get();
      const channel = violations.values.find((value) => value.labels.kind === 'channel');
      assert.equal(channel?.value, 2);
    });

    it(`${mode}: a flood of empty folders and files stops at the memory's entry limit; the memory stays editable`, async (t) => {
      if (!modes.includes(mode)) return t.skip(`${mode} isolation is not available here`);
      const root = join(ctx.base, `flood-${mode}`);
      mkdirSync(root);
      writeFileSync(join(root, 'user.md'), '# User\n');
      const functions = new MemoryFunctions(
        new MemoryDirectoryRepository(root, {
          fileBytes: 1 << 20,
          directoryBytes: 10 << 20,
          memoryBytes: 100 << 20,
          entries: 40,
        }),
      );
      const flood = [
        'folders = 0',
        'while folders < 1000 and create_dir(f"flood/d{folders}"):',
        '    folders += 1',
        'files = 0',
        'while files < 1000 and create_file(f"f{files}.md", ""):',
        '    files += 1',
        'edited = create_file("user.md", "# User\\n- name: Ana\\n")',
      ].join('\n');
      const outcome = await runner.run({
        mode,
        python: PYTHON,
        hostMemoryRoot: root,
        code: flood,
        limits: { timeoutMs: 10_000, memoryBytes: 256 << 20, maxValueChars: 1000 },
        onCall: (fn, args) => functions.call(fn as never, args),
      });
      // user.md, flood/ and 38 folders in it make the 40 entries; no file fits after them.
      assert.equal(result(outcome), "{'folders': 38, 'files': 0, 'edited': True}");
      assert.equal(readdirSync(join(root, 'flood')).length, 38);
      assert.deepEqual(readdirSync(root).sort(), ['flood', 'user.md']);
      assert.equal(readFileSync(join(root, 'user.md'), 'utf8'), '# User\n- name: Ana\n');
      assert.equal(functions.refusals.limit, 2);
    });

    it(`${mode}: every snippet fails safely, nothing leaks, nothing is written outside, nothing connects`, async (t) => {
      if (!modes.includes(mode)) return t.skip(`${mode} isolation is not available here`);
      const functions = new MemoryFunctions(
        new MemoryDirectoryRepository(ctx.root, {
          fileBytes: 1 << 20,
          directoryBytes: 10 << 20,
          memoryBytes: 100 << 20,
          entries: 10_000,
        }),
      );
      const outcomes = await inParallel(HOSTILE, 4, (hostile) =>
        runner.run({
          mode,
          python: PYTHON,
          hostMemoryRoot: ctx.root,
          code: hostile.code(ctx),
          limits: { timeoutMs: TIMEOUT_MS, memoryBytes: 256 << 20, maxValueChars: 1000 },
          onCall: (fn, args) => functions.call(fn as never, args),
        }),
      );
      for (const [index, hostile] of HOSTILE.entries()) {
        const outcome = outcomes[index];
        assert.ok(!JSON.stringify(outcome).includes(SECRET), `${hostile.name}: the secret leaked`);
        try {
          hostile.check(outcome, ctx);
        } catch (error) {
          throw new Error(`${mode} / ${hostile.name}: ${(error as Error).message}`);
        }
      }
      assert.deepEqual(readdirSync(ctx.outside), ['secret.txt']);
      assert.equal(readFileSync(join(ctx.outside, 'secret.txt'), 'utf8'), SECRET);
      assert.deepEqual(readdirSync(ctx.root).sort(), ['link_out', 'user.md']);
      assert.equal(connections, 0, 'something connected to the listener');
    });
  }
});

async function inParallel<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(lanes);
  return results;
}
