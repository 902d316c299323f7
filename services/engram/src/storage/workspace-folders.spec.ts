import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeTempDir } from '../testing/temp-dir';
import { newWorkspaceFolder, removeAbandonedWorkspaceFolders } from './workspace-folders';

const children: ChildProcess[] = [];

/** A real process with `tmp` as its TMPDIR that opens one workspace and waits; resolves with its folder. */
async function processWithWorkspace(tmp: string): Promise<{ child: ChildProcess; folder: string }> {
  const script = `require(${JSON.stringify(join(__dirname, 'workspace-folders.js'))})
    .newWorkspaceFolder().then((folder) => { console.log(folder); setInterval(() => {}, 1000); });`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, folder: dirname(line.toString().trim()) };
}

describe('agent workspace folders in the OS temporary folder', () => {
  after(() => children.forEach((child) => child.kill('SIGKILL')));

  it("a sweep removes the folders of processes that are gone and keeps a live process's and every other name", async () => {
    const tmp = makeTempDir('engram-workspaces-tmp-');
    const live = await processWithWorkspace(tmp);
    const killed = await processWithWorkspace(tmp);
    killed.child.kill('SIGKILL');
    await once(killed.child, 'exit');
    // A process killed between making its folder and locking it leaves one without a lock file.
    const unlocked = join(tmp, 'engram-workspaces-999999-AbC123');
    mkdirSync(join(unlocked, 'engram-memory-Zz9zz9'), { recursive: true });
    const others = ['engram-memory-Q1w2e3', 'engram-workspaces-notes', 'engram-e2e-abc'];
    for (const name of others) mkdirSync(join(tmp, name));

    const sweep = await removeAbandonedWorkspaceFolders(tmp);
    assert.deepEqual(sweep.failed, []);
    assert.deepEqual(sweep.removed.sort(), [killed.folder, unlocked].sort());
    assert.deepEqual(readdirSync(tmp).sort(), [...others, live.folder.slice(tmp.length + 1)].sort());

    live.child.kill('SIGKILL');
    await once(live.child, 'exit');
    assert.deepEqual((await removeAbandonedWorkspaceFolders(tmp)).removed, [live.folder]);
  });

  it("a process's own folder removed under it (a cleaner of old files in /tmp) is made again for the next workspace", async () => {
    const first = await newWorkspaceFolder();
    assert.equal(statSync(first).mode & 0o777, 0o700);
    rmSync(dirname(first), { recursive: true, force: true });
    const second = await newWorkspaceFolder();
    assert.ok(existsSync(second));
    assert.notEqual(dirname(second), dirname(first));
    const sweep = await removeAbandonedWorkspaceFolders(dirname(dirname(second)));
    assert.ok(!sweep.removed.includes(dirname(second)), 'a process never removes its own folder');
    rmSync(second, { recursive: true });
  });
});
