import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workerStackSizeMb } from './worker-stack';

describe('worker thread stack', () => {
  it("keeps Node's default for a short command line and grows with a long one", () => {
    assert.equal(workerStackSizeMb(['/usr/bin/node', '/app/dist/cli/engram.js', 'serve']), 4);
    // 64 KiB of content needs 19 MB (measured with onnxruntime 1.30): it gets 33.
    assert.equal(workerStackSizeMb(['node', 'engram.js', 'store', 'b'.repeat(64 * 1024)]), 33);
  });
});
