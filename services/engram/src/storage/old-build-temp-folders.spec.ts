import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir } from '../testing/temp-dir';
import { OLD_BUILD_FOLDER_MAX_AGE_MS, removeOldBuildTempFolders } from './old-build-temp-folders';

const HOUR_MS = 60 * 60 * 1000;

/** A folder holding `default/user.md`, everything in it last changed `ageMs` ago, the file `fileAgeMs` ago. */
function leaveFolder(parent: string, name: string, ageMs: number, fileAgeMs = ageMs): string {
  const path = join(parent, name);
  mkdirSync(join(path, 'default'), { recursive: true });
  writeFileSync(join(path, 'default', 'user.md'), '# User\n');
  const at = (ms: number) => new Date(Date.now() - ms);
  utimesSync(join(path, 'default', 'user.md'), at(fileAgeMs), at(fileAgeMs));
  for (const folder of [join(path, 'default'), path]) utimesSync(folder, at(ageMs), at(ageMs));
  return path;
}

describe("older builds' folders in the OS temporary folder", () => {
  it('removes the agent copies and backup files older builds left untouched for a day, and nothing else', async () => {
    const tmp = makeTempDir('engram-old-build-tmp-');
    const aged = OLD_BUILD_FOLDER_MAX_AGE_MS + HOUR_MS;
    const abandoned = [
      leaveFolder(tmp, 'engram-memory-Q1w2e3', aged),
      leaveFolder(tmp, 'engram-agent-files-Zz9zz9', aged),
    ];
    const kept = [
      // An old-build run that began this morning may still be going during a rolling upgrade.
      leaveFolder(tmp, 'engram-memory-Fr3sh1', HOUR_MS),
      // An old folder a live run still writes into.
      leaveFolder(tmp, 'engram-agent-files-Wr1tes', aged, HOUR_MS),
      // Names this build uses (its own, owner-locked folders) or that are not Engram's leftovers.
      leaveFolder(tmp, 'engram-workspaces-4242-AbC123', aged),
      leaveFolder(tmp, 'engram-memory-dir-target-Ab12', aged),
      leaveFolder(tmp, 'engram-memory-notes', aged),
    ];

    const sweep = await removeOldBuildTempFolders(tmp);
    assert.deepEqual(sweep.failed, []);
    assert.deepEqual(sweep.removed.sort(), abandoned.sort());
    assert.deepEqual(readdirSync(tmp).sort(), kept.map((path) => path.slice(tmp.length + 1)).sort());
  });

  it('is measured from the time it is given, so a folder ages into removal on a later look', async () => {
    const tmp = makeTempDir('engram-old-build-tmp-');
    const folder = leaveFolder(tmp, 'engram-memory-L4ter1', HOUR_MS);
    assert.deepEqual((await removeOldBuildTempFolders(tmp)).removed, []);
    assert.deepEqual((await removeOldBuildTempFolders(tmp, Date.now() + OLD_BUILD_FOLDER_MAX_AGE_MS)).removed, [
      folder,
    ]);
  });
});
