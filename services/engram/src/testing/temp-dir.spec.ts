import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/**
 * A spec process that makes two folders with makeTempDir (as test-app hands it out), writes into them and
 * then ends as `ending` says, without removing them itself; `signal`, when given, is sent to it once its
 * folders are made, as the test runner stops a spec file. Answers the folders and how the process ended.
 */
async function foldersLeftBy(ending: string, signal?: NodeJS.Signals) {
  const script = `
    const { writeFileSync } = require('node:fs');
    const { makeTempDir } = require(${JSON.stringify(join(__dirname, 'test-app.js'))});
    const folders = [makeTempDir(), makeTempDir()];
    for (const folder of folders) writeFileSync(folder + '/engram.db', 'a store');
    process.stdout.write(JSON.stringify(folders) + '\\n');
    ${ending}`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (signal && stdout.endsWith('\n')) child.kill(signal);
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code, endedBy] = await once(child, 'exit');
  assert.ok(stdout, stderr);
  return { folders: JSON.parse(stdout) as string[], code, endedBy };
}

describe('makeTempDir: the folders specs keep their files in', () => {
  for (const [how, ending, code] of [
    ['passes', '', 0],
    ['fails', 'process.exitCode = 1;', 1],
    ['throws', "throw new Error('a failed assertion');", 1],
  ] as const) {
    it(`are gone once the spec process exits, though it never removed them (a spec that ${how})`, async () => {
      const left = await foldersLeftBy(ending);
      assert.equal(left.code, code);
      assert.equal(left.folders.length, 2);
      assert.deepEqual(
        left.folders.filter((folder) => existsSync(folder)),
        [],
      );
    });
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`are gone when the runner stops the spec with ${signal}, which still ends it`, async () => {
      const left = await foldersLeftBy('setInterval(() => {}, 1000);', signal);
      assert.equal(left.endedBy, signal);
      assert.deepEqual(
        left.folders.filter((folder) => existsSync(folder)),
        [],
      );
    });
  }
});
