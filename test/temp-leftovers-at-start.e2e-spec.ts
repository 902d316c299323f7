import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliStore, DIST, openCliStore, runEngram, RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { inheritedEnv, tempDir } from './process-harness';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const { waitFor } = serviceHelper('testing/wait-for.js');
const { connectStdioClient } = serviceHelper('testing/mcp-client.js');

/**
 * The workspace folder of a real process of this build that made one (as an agent run on PostgreSQL does)
 * and was then killed (SIGKILL): its owner lock is free, its folder left in `tmp`.
 */
async function killedProcessWorkspaceFolder(tmp: string): Promise<string> {
  const script = `require(${JSON.stringify(join(DIST, 'storage', 'workspace-folders.js'))})
    .newWorkspaceFolder().then((folder) => { console.log(folder); setInterval(() => {}, 1000); });`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...inheritedEnv(), TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  child.kill('SIGKILL');
  await once(child, 'exit');
  const folder = dirname(line.toString().trim());
  assert.ok(existsSync(folder), 'the killed process left its folder');
  return folder;
}

/** A folder as an older build's process killed mid-task left it in the temporary folder `ageMs` ago. */
function leaveOldBuildFolder(tmp: string, name: string, ageMs: number): void {
  const path = join(tmp, name);
  mkdirSync(join(path, 'default'), { recursive: true });
  writeFileSync(join(path, 'default', 'user.md'), '# User\n');
  const then = new Date(Date.now() - ageMs);
  for (const entry of ['default/user.md', 'default', '']) utimesSync(join(path, entry), then, then);
}

/** Whether the log holds a line saying `what` about the folder `name`. */
const logged = (output: string, what: string, name: string) =>
  output.split('\n').some((line) => line.includes(what) && line.includes(name));

describe('what killed processes left in the OS temporary folder, removed when a process starts', () => {
  let store: CliStore;
  const running: RunningEngram[] = [];

  before(async () => {
    store = await openCliStore('temp-leftovers-model');
  });
  after(async () => {
    await Promise.all(running.map((process) => process.stop('SIGKILL')));
    await store.close();
  });

  it("an api that starts removes older builds' folders untouched for more than a day, and keeps a fresh one", async () => {
    const tmp = tempDir('engram-host-tmp-');
    leaveOldBuildFolder(tmp, 'engram-memory-Old123', 2 * DAY_MS);
    leaveOldBuildFolder(tmp, 'engram-agent-files-Old456', 2 * DAY_MS);
    // An older build's agent run that started an hour ago may still be going (a rolling upgrade).
    leaveOldBuildFolder(tmp, 'engram-memory-Fresh1', HOUR_MS);
    leaveOldBuildFolder(tmp, 'engram-memory-dir-target-Ab12', 2 * DAY_MS);

    const api = await startEngram('serve', { ...store.env, TMPDIR: tmp }, store.dir, 'Engram ready');
    running.push(api);
    await waitFor(
      () => !readdirSync(tmp).some((name) => name.endsWith('Old123') || name.endsWith('Old456')),
      "the older builds' aged folders removed",
      60_000,
    );
    const left = readdirSync(tmp).filter(
      (name) => name.startsWith('engram-memory-') || name.startsWith('engram-agent'),
    );
    assert.deepEqual(left.sort(), ['engram-memory-Fresh1', 'engram-memory-dir-target-Ab12']);
    const output = await api.waitForOutput(
      (text) => logged(text, 'abandoned temporary folder removed', 'engram-agent-files-Old456'),
      30_000,
    );
    assert.ok(logged(output, 'abandoned temporary folder removed', 'engram-memory-Old123'), output);
    assert.equal(await api.stop(), 0);
  });

  it('`engram mcp` on stdio removes what killed processes left when it starts, with no api on the host', async () => {
    const tmp = tempDir('engram-host-tmp-');
    const killed = await killedProcessWorkspaceFolder(tmp);
    leaveOldBuildFolder(tmp, 'engram-memory-Old789', 2 * DAY_MS);

    const connected = await connectStdioClient('sdk-v1', {
      command: process.execPath,
      args: [join(DIST, 'cli', 'engram.js'), 'mcp'],
      env: { ...inheritedEnv(), HOME: store.dir, LOG_LEVEL: 'info', ...store.env, TMPDIR: tmp },
      cwd: store.dir,
    });
    try {
      await waitFor(
        () => !existsSync(killed) && !existsSync(join(tmp, 'engram-memory-Old789')),
        "the killed process's workspace folder and the older build's folder removed",
        60_000,
      );
      // Its logs went to stderr: the protocol on stdout still answers.
      const tools = (await connected.client.listTools()).tools.map((tool: { name: string }) => tool.name);
      assert.ok(tools.includes('use_memory_agent'));
    } finally {
      await connected.client.close();
    }
  });

  it('a command that runs jobs in its own process (engram backup) removes them before it exits', async () => {
    const tmp = tempDir('engram-host-tmp-');
    const killed = await killedProcessWorkspaceFolder(tmp);
    const backup = await runEngram(['backup'], { ...store.env, TMPDIR: tmp }, store.dir);
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(existsSync(killed), false, "the killed process's workspace folder is gone");
  });
});
