import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runEngram, serviceHelper } from './engram-cli';
import { tempDir } from './process-harness';

/** The default content limit (ENGRAM_MAX_CONTENT_BYTES), in bytes. */
const CONTENT_LIMIT = 64 * 1024;

/** Ordinary prose of exactly `bytes` bytes. */
function prose(bytes: number): string {
  const words = 'the boiler is serviced in October before the car needs new tyres'.split(' ');
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += `${words[i % words.length]} `;
  return text.slice(0, bytes - 1) + '.';
}

describe('engram store with the local model (a real process, onnxruntime in a worker thread)', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = tempDir();
    env = { MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'), ENGRAM_EMBEDDING_PROVIDER: 'local' };
    serviceHelper('storage/sqlite.connection.js').openSqliteDatabase(env.MCP_MEMORY_SQLITE_PATH, {}).close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // onnxruntime's start-up recurses over the command line: 14 KB of it overflowed a worker's default stack.
  it('stores content at the size limit given on the command line, as one long word or as prose', async () => {
    for (const content of ['b'.repeat(CONTENT_LIMIT), prose(CONTENT_LIMIT)]) {
      assert.equal(Buffer.byteLength(content), CONTENT_LIMIT);
      const stored = await runEngram(['store', content], env, dir);
      assert.equal(stored.code, 0, `exit ${stored.code}: ${stored.stderr.slice(0, 2000)}`);
      assert.match(stored.stdout, /^stored [0-9a-f]{64} \(note\)\n$/);
    }
    const listed = await runEngram(['list', '--json'], env, dir);
    assert.equal(JSON.parse(listed.stdout).total, 2);
  });
});
