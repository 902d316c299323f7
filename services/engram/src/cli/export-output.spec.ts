import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, it, mock } from 'node:test';
import { recordDiskCalls } from '../testing/disk-calls';
import { makeTempDir } from '../testing/test-app';
import { exportOutput, writeExport } from './export-output';

describe('writeExport', () => {
  afterEach(() => mock.restoreAll());

  it('puts the export on disk before it takes its name, and the name on disk before it is reported written', async () => {
    const dir = makeTempDir();
    const output = await exportOutput(join(dir, 'memories.jsonl'));
    const calls = recordDiskCalls();
    await writeExport(Readable.from(['{"a":1}\n', '{"b":2}\n']), output);
    const partial = `${output.path}.partial`;
    assert.deepEqual(calls, [`fsync ${partial}`, `rename ${partial} -> ${output.path}`, `fsync ${dir}`]);
    assert.equal(readFileSync(output.path, 'utf8'), '{"a":1}\n{"b":2}\n');
  });
});
