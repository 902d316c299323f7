import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliStore, DIST, openCliStore, runEngram } from './engram-cli';
import { inheritedEnv } from './process-harness';

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
      env: { ...inheritedEnv(), HOME: store.dir, ...store.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.destroy(); // the reader is gone before the first line: every write meets EPIPE
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'close');
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error/);
  });

  it('writes through to a FIFO and to the pipe of >(…), and through a symbolic link, leaving each in place', async () => {
    const dir = join(store.dir, 'targets');
    mkdirSync(dir);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let read = '';
    reader.stdout!.on('data', (chunk) => (read += chunk));
    const readerDone = once(reader, 'close');
    try {
      const toFifo = await engram(['export', '--output', fifo]);
      assert.equal(toFifo.code, 0, toFifo.stderr);
      assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is still a FIFO');
      await readerDone;
    } finally {
      reader.kill();
    }
    assert.equal(linesOf(read).at(-1).memories, 3);

    // bash's >(…) hands over /dev/fd/63, a pipe with no folder to put a temporary file in.
    const piped = join(dir, 'piped.ndjson');
    const substituted = spawn(
      'bash',
      ['-c', '"$0" "$1" export --output >(cat > "$2")', process.execPath, ENGRAM, piped],
      {
        cwd: store.dir,
        env: { ...inheritedEnv(), HOME: store.dir, ...store.env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    substituted.stderr!.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(substituted, 'close');
    assert.equal(code, 0, stderr);
    await waitFor(() => existsSync(piped) && readFileSync(piped, 'utf8').includes('"memories":3'));

    const file = join(dir, 'export.ndjson');
    writeFileSync(file, 'an older export\n');
    const link = join(dir, 'latest.ndjson');
    symlinkSync('export.ndjson', link);
    const throughLink = await engram(['export', '--output', link]);
    assert.equal(throughLink.code, 0, throughLink.stderr);
    assert.equal(readlinkSync(link), 'export.ndjson', 'the link is still a link to the same file');
    assert.equal(linesOf(readFileSync(file, 'utf8')).at(-1).memories, 3);
    assert.equal(existsSync(`${file}.partial`), false);
  });

  it('refuses a folder, a missing folder and a full device with one line naming the output (73)', async () => {
    const dir = join(store.dir, 'refused');
    mkdirSync(dir);
    const targets = [
      { output: dir, problem: 'it is a directory' },
      { output: join(dir, 'missing', 'export.ndjson'), problem: `no folder ${join(dir, 'missing')}` },
    ];
    // A device node of our own (as /dev/full: every write fails with ENOSPC), where we may make one.
    const full = join(dir, 'full');
    if (makeFullDevice(full)) targets.push({ output: full, problem: 'no space left on device (ENOSPC)' });
    for (const { output, problem } of targets) {
      const run = await engram(['export', '--output', output]);
      assert.equal(run.code, 73, run.stderr);
      assert.equal(run.stderr, `engram export: cannot write ${output}: ${problem}\n`);
    }
    if (existsSync(full)) assert.ok(lstatSync(full).isCharacterDevice(), 'the device node is still a device node');
  });
});

const ENGRAM = join(DIST, 'cli', 'engram.js');

/** A character device like /dev/full at `path`; false where this user may not make or open one. */
function makeFullDevice(path: string): boolean {
  try {
    execFileSync('mknod', [path, 'c', '1', '7'], { stdio: 'ignore' });
    writeFileSync(path, 'x');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return true;
  }
  rmSync(path, { force: true });
  return false;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
