import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runEngram, serviceHelper } from './engram-cli';
import { tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { openSqliteDatabase } = serviceHelper('storage/sqlite.connection.js');

describe('engram store, list and search (a real SQLite file)', () => {
  let dir: string;
  let model: any;
  let env: Record<string, string>;
  const engram = (args: string[]) => runEngram(args, env, dir);

  before(async () => {
    dir = tempDir();
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'cli-memory-model' });
    env = {
      MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    };
    openSqliteDatabase(env.MCP_MEMORY_SQLITE_PATH, {}).close();
  });
  after(async () => {
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, lists and finds memories, for people by default and as JSON with --json', async () => {
    const stored = await engram(['store', 'the', 'boiler', 'is', 'serviced', 'in', 'October', '--tags', 'home,boiler']);
    assert.equal(stored.code, 0, stored.stderr);
    assert.match(stored.stdout, /^stored [0-9a-f]{64} \(note, tags boiler,home\)\n$/);
    const second = await engram(['store', '--type', 'fact', 'the car needs new tyres', '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).memory.memory_type, 'fact');

    const listed = await engram(['list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /fact {2}[0-9a-f]{12}\n {4}the car needs new tyres\n/);
    assert.match(listed.stderr, /page 1 of 1, 2 memories/);
    assert.equal(JSON.parse((await engram(['list', '--json', '--tags', 'home'])).stdout).total, 1);

    const found = await engram(['search', 'boiler', 'October', '--limit', '1']);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /^-?\d\.\d{3} {2}.*note, tags boiler,home .*\n {4}the boiler is serviced in October\n$/);
    const json = JSON.parse((await engram(['search', 'tyres', '--mode', 'keyword', '--json'])).stdout);
    assert.equal(json.results[0].memory.content, 'the car needs new tyres');
  });

  it('names bad input with the flag the user typed and exits 64', async () => {
    const badLimit = await engram(['search', 'x', '--limit', 'ten']);
    assert.equal(badLimit.code, 64);
    assert.match(badLimit.stderr, /^engram search: --limit: /);
    const empty = await engram(['store', '--tags', 'x']);
    assert.equal(empty.code, 64);
    assert.match(empty.stderr, /<content>: /);
    const time = await engram(['list', '--time', 'the twelfth of never']);
    assert.equal(time.code, 64);
    assert.match(time.stderr, /Cannot understand the time expression/);
  });
});
