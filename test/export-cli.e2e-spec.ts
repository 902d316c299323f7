import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runEngram, serviceHelper } from './engram-cli';
import { tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { openSqliteDatabase } = serviceHelper('storage/sqlite.connection.js');

describe('engram export (a real process on a real SQLite file)', () => {
  let dir: string;
  let model: any;
  let env: Record<string, string>;
  const engram = (args: string[]) => runEngram(args, env, dir);
  const linesOf = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

  before(async () => {
    dir = tempDir();
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'cli-export-model' });
    env = {
      MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    };
    openSqliteDatabase(env.MCP_MEMORY_SQLITE_PATH, {}).close();
    for (const [content, namespace] of [
      ['the boiler is serviced in October', 'home'],
      ['the car needs new tyres', 'home'],
      ['the quarterly report is due', 'work'],
    ]) {
      const stored = await engram(['store', content, '--namespace', namespace]);
      assert.equal(stored.code, 0, stored.stderr);
    }
  });
  after(async () => {
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every namespace to stdout, or one namespace with vectors to a file', async () => {
    const all = await engram(['export']);
    assert.equal(all.code, 0, all.stderr);
    const lines = linesOf(all.stdout);
    assert.equal(lines[0].format, 'engram-export');
    assert.deepEqual(
      lines.slice(1, -1).map((memory) => memory.namespace),
      ['home', 'home', 'work'],
    );
    assert.equal(lines.at(-1).memories, 3);

    const file = join(dir, 'home.ndjson');
    const home = await engram(['export', '--namespace', 'home', '--vectors', '--output', file]);
    assert.equal(home.code, 0, home.stderr);
    assert.equal(home.stdout, '');
    const written = linesOf(readFileSync(file, 'utf8'));
    assert.deepEqual(written[0].embedding_model, { id: 'openai:cli-export-model', dimension: 16 });
    assert.equal(written.slice(1, -1).length, 2);
    assert.ok(written.slice(1, -1).every((memory) => memory.embedding.length === 16));
    assert.equal(existsSync(`${file}.partial`), false);
  });

  it('refuses bad arguments (64) and a missing store (66), writing nothing', async () => {
    const bad = await engram(['export', '--namespace', 'Bad Name']);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--namespace/);
    assert.equal((await engram(['export', 'extra'])).code, 64);
    const missing = await runEngram(['export'], { ...env, MCP_MEMORY_SQLITE_PATH: join(dir, 'nope.db') }, dir);
    assert.equal(missing.code, 66);
    assert.equal(missing.stdout, '');
  });
});
