const { detectIsolation } = require('./dist/sandbox/sandbox-isolation.js');
const { SandboxRunner } = require('./dist/sandbox/sandbox.runner.js');
(async () => {
  for (const mode of ['bwrap', 'landlock']) {
    const t = Date.now();
    const r = await detectIsolation({ mode, python: '/usr/bin/python3', timeoutMs: 5000, memoryBytes: 256 << 20 });
    console.log(mode, Date.now() - t, 'ms', JSON.stringify(r));
  }
  const runner = new SandboxRunner();
  for (const mode of ['bwrap', 'landlock']) {
    const o = await runner.run({ mode, python: '/usr/bin/python3', hostMemoryRoot: '/tmp/sbx', code: "import json, re, datetime, decimal, hashlib\nx = read_file('a.md')\ny = json.dumps({'a': 1})", limits: { timeoutMs: 5000, memoryBytes: 256 << 20, maxValueChars: 100 }, onCall: async (fn, args) => ({ value: fn + JSON.stringify(args) }) });
    console.log(mode, JSON.stringify(o));
  }
})();
