import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir } from '../testing/test-app';
import { EntrySpillFile } from './entry-spill.file';

async function readAll(spill: EntrySpillFile): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of spill.lines()) lines.push(line);
  return lines;
}

describe('EntrySpillFile', () => {
  it('gives back every line, as often as asked, from a file that has no name once open', async () => {
    const dir = makeTempDir();
    const spill = new EntrySpillFile(join(dir, '.restore-scan-1-1'));
    // Past one chunk, so part of it is on disk before the first read.
    const written = Array.from({ length: 30_000 }, (_, i) => `["hash-${i % 7}","ns-${i % 7}","notes/${i}.md",${i}]`);
    for (const line of written) spill.append(line);
    try {
      assert.deepEqual(readdirSync(dir), [], 'a process killed now leaves nothing in the folder');
      assert.deepEqual(await readAll(spill), written);
      assert.deepEqual(await readAll(spill), written, 'a second share reads it again from its start');
    } finally {
      spill.close();
    }
    assert.deepEqual(readdirSync(dir), []);
  });

  it('holds nothing on disk for a scan that appended nothing', async () => {
    const dir = makeTempDir();
    const spill = new EntrySpillFile(join(dir, '.restore-scan-1-1'));
    assert.deepEqual(await readAll(spill), []);
    spill.close();
    assert.deepEqual(readdirSync(dir), []);
  });
});
