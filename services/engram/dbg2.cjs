const { SandboxRunner } = require('./dist/sandbox/sandbox.runner.js');
(async () => {
  const runner = new SandboxRunner();
  for (const mode of ['bwrap', 'landlock']) {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const o = await runner.run({ mode, python: '/usr/bin/python3', hostMemoryRoot: '/tmp/sbx', code: "x = 1", limits: { timeoutMs: 5000, memoryBytes: 256 << 20, maxValueChars: 100 }, onCall: async () => ({ value: 0 }) });
      times.push(Math.round(o.durationMs));
    }
    console.log(mode, times);
  }
})();
