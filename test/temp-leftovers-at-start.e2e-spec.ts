import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliStore, openCliStore, RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { tempDir } from './process-harness';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const { waitFor } = serviceHelper('testing/wait-for.js');

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
});
