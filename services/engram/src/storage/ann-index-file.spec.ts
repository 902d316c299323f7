import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it, mock } from 'node:test';
import { recordDiskCalls } from '../testing/disk-calls';
import { makeTempDir } from '../testing/test-app';
import { annIndexPaths, publishAnnIndex, readAnnHeader, temporaryIndexPath } from './ann-index-file';

describe('publishAnnIndex', () => {
  afterEach(() => mock.restoreAll());

  it('puts the index file on disk before it is renamed into place, so no header vouches for bytes still in memory', () => {
    const database = join(makeTempDir(), 'engram.db');
    const written = temporaryIndexPath(database);
    writeFileSync(written, 'graph');
    const calls = recordDiskCalls();
    publishAnnIndex(database, written, { model: 'model', dimension: 4, epoch: null, seq: 7 });
    const { index, header } = annIndexPaths(database);
    assert.deepEqual(calls.slice(0, 2), [`fsync ${written}`, `rename ${written} -> ${index}`]);
    // The header is a cache's too: renamed into place, not fsynced (losing it costs a rebuild).
    assert.match(calls[2], new RegExp(`^rename .* -> ${header.replace(/[.]/g, '\\.')}$`));
    assert.equal(calls.length, 3);
    assert.equal(readAnnHeader(database)?.seq, 7);
  });
});
