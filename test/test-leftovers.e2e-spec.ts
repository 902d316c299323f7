import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './process-harness';

const LEFTOVERS = join(ROOT, 'scripts', 'test-leftovers.mjs');

/** Runs one of scripts/test-leftovers.mjs's functions in a process of its own, as npm test does. */
function leftovers(call: string, folder = '') {
  const script = `import(${JSON.stringify(LEFTOVERS)}).then((m) => process.stdout.write(String(${call})));`;
  const { stdout, stderr, status } = spawnSync(process.execPath, ['-e', script, folder], { encoding: 'utf8' });
  assert.equal(status, 0, stderr);
  return { answer: stdout, stderr };
}

describe("npm test's check that the specs leave nothing in their TMPDIR", () => {
  it('gives the run a new folder, empty and searchable by the PostgreSQL cluster user', () => {
    const folder = leftovers('m.makeRunTmpdir()').answer;
    assert.match(folder, /engram-run-/);
    assert.equal(statSync(folder).mode & 0o777, 0o711);
    assert.equal(leftovers('m.reportLeftovers(process.argv[1])', folder).answer, 'false');
  });

  it('names what a spec left, kills a process still running with the TMPDIR, and removes the folder', async () => {
    const folder = leftovers('m.makeRunTmpdir()').answer;
    mkdirSync(join(folder, 'engram-e2e-leak01'));
    writeFileSync(join(folder, 'engram-e2e-leak01', 'engram.db'), 'a store');
    const server: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      // As a process a spec starts: its TMPDIR is a folder of the spec's inside the run's (inheritedEnv).
      env: { PATH: process.env.PATH ?? '', TMPDIR: join(folder, 'engram-e2e-leak01') },
      stdio: 'ignore',
    });
    try {
      const { answer, stderr } = leftovers('m.reportLeftovers(process.argv[1])', folder);
      assert.equal(answer, 'true');
      assert.match(stderr, /the specs left 1 entries in their TMPDIR and 1 processes/);
      assert.match(stderr, /engram-e2e-leak01\/ holds engram\.db/);
      assert.match(stderr, new RegExp(`process ${server.pid} \\(killed\\): .*setInterval`));
      const [, signal] = await once(server, 'exit');
      assert.equal(signal, 'SIGKILL');
      assert.equal(existsSync(folder), false);
    } finally {
      server.kill('SIGKILL');
    }
  });
});
