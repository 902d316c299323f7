import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliStore, DIST, openCliStore, runEngram } from './engram-cli';

describe('engram export (a real process on a real SQLite file)', () => {
  let store: CliStore;
  const engram = (args: string[]) => store.engram(args);
  const linesOf = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

  before(async () => {
    store = await openCliStore('cli-export-model');
    for (const [content, namespace] of [
      ['the boiler is serviced in October', 'home'],
      ['the car needs new tyres', 'home'],
      ['the quarterly report is due', 'work'],
    ]) {
      const stored = await engram(['store', content, '--namespace', namespace]);
      assert.equal(stored.code, 0, stored.stderr);
    }
  });
  after(() => store?.close());

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

    const file = join(store.dir, 'home.ndjson');
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
    const missing = await runEngram(
      ['export'],
      { ...store.env, MCP_MEMORY_SQLITE_PATH: join(store.dir, 'nope.db') },
      store.dir,
    );
    assert.equal(missing.code, 66);
    assert.equal(missing.stdout, '');
  });

  it('stops quietly (0) when its reader closes the pipe early, as `engram export | head` does', async () => {
    const child = spawn(process.execPath, [join(DIST, 'cli', 'engram.js'), 'export'], {
      cwd: store.dir,
      env: { PATH: process.env.PATH ?? '', HOME: store.dir, ...store.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.destroy(); // the reader is gone before the first line: every write meets EPIPE
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'close');
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error/);
  });
});
