import assert from 'node:assert/strict';
import fs, { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, it, mock } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createGzip } from 'node:zlib';
import { recordDiskCalls } from '../testing/disk-calls';
import { makeTempDir } from '../testing/test-app';
import { BackupManifest, MEMORY_ARCHIVE_FILE } from './backup-manifest';
import { AgentFileTooLarge } from './backup.errors';
import { DEFAULT_MEMORY_LIMITS, MemoryLimits } from '../storage/agent-file.rules';
import { Header, Pax } from 'tar';
import { gzipSync } from 'node:zlib';
import { BackupRepository } from './backup.repository';

const ID = 'backup-20260101T000000000Z';

function manifest(): BackupManifest {
  return {
    id: ID,
    created_at: '2026-01-01T00:00:00.000Z',
    reason: 'manual',
    engram_version: 'test',
    format: 'sqlite',
    schema_version: 33,
    embedding: { model: 'model', dimension: 4 },
    database: { file: 'engram.db', bytes: 4, sha256: 'x' },
    memory_dir: { file: MEMORY_ARCHIVE_FILE, bytes: 4, sha256: 'y' },
    counts: { memories: 0, live_memories: 0, tags: 0, embeddings: 0 },
    integrity_check: 'ok',
    duration_ms: 1,
  };
}

describe('BackupRepository.commit', () => {
  afterEach(() => mock.restoreAll());

  it('puts every file and the folder on disk before the backup is renamed into place, and the rename after', async () => {
    const root = makeTempDir();
    const files = new BackupRepository(root);
    const staging = await files.stage(ID, 'manual');
    writeFileSync(join(staging, 'engram.db'), 'copy');
    writeFileSync(join(staging, MEMORY_ARCHIVE_FILE), 'tar!');
    const calls = recordDiskCalls();
    await files.commit(staging, manifest());
    const renamed = calls.indexOf(`rename ${staging} -> ${join(root, ID)}`);
    assert.ok(renamed > 0, calls.join('\n'));
    assert.deepEqual(
      calls.slice(0, renamed).sort(),
      [
        `fsync ${staging}`,
        `fsync ${join(staging, 'engram.db')}`,
        `fsync ${join(staging, 'manifest.json')}`,
        `fsync ${join(staging, MEMORY_ARCHIVE_FILE)}`,
      ].sort(),
    );
    assert.deepEqual(calls.slice(renamed + 1), [`fsync ${root}`]);
    assert.equal((await files.read(ID))?.state, 'ok');
  });
});

describe('BackupRepository.replaceDirectory', () => {
  afterEach(() => mock.restoreAll());

  it('puts every restored file and folder on disk before the restored folder takes the live one’s name', async () => {
    const root = makeTempDir();
    const files = new BackupRepository(join(root, 'backups'));
    const source = join(root, 'source');
    mkdirSync(join(source, 'main', 'people'), { recursive: true });
    writeFileSync(join(source, 'main', 'people', 'alice.md'), 'Alice');
    const archive = join(root, 'memory.tar.gz');
    await files.archiveDirectory(source, archive);
    const live = join(root, 'memory');
    mkdirSync(live);
    const calls = recordDiskCalls();
    await files.replaceDirectory(live, archive, 1024);
    const swapped = calls.findIndex((call) => call.startsWith('rename ') && call.endsWith(` -> ${live}`));
    assert.ok(swapped > 0, calls.join('\n'));
    const incoming = calls[swapped].split(' ')[1];
    const synced = calls.slice(0, swapped).filter((call) => call.startsWith('fsync '));
    assert.deepEqual(
      synced.sort(),
      [
        `fsync ${incoming}`,
        `fsync ${join(incoming, 'main')}`,
        `fsync ${join(incoming, 'main', 'people')}`,
        `fsync ${join(incoming, 'main', 'people', 'alice.md')}`,
      ].sort(),
    );
    assert.deepEqual(calls.slice(swapped + 1), [`fsync ${root}`]);
    assert.equal(readFileSync(join(live, 'main', 'people', 'alice.md'), 'utf8'), 'Alice');
  });
});

describe('BackupRepository: files over the limit on a memory file', () => {
  /** An archive of a namespace holding a file of 100 bytes and one of `largeBytes`, and its repository. */
  async function archiveWith(largeBytes: number) {
    const root = makeTempDir();
    const files = new BackupRepository(join(root, 'backups'));
    const source = join(root, 'source');
    mkdirSync(join(source, 'main', 'notes'), { recursive: true });
    writeFileSync(join(source, 'main', 'a-small.md'), 'x'.repeat(100));
    writeFileSync(join(source, 'main', 'notes', 'large.md'), 'y'.repeat(largeBytes));
    const archive = join(root, 'memory.tar.gz');
    await files.archiveDirectory(source, archive);
    return { root, files, archive };
  }
  const refused = (error: unknown) =>
    error instanceof AgentFileTooLarge &&
    /"main\/notes\/large\.md" of 4097 bytes, over .* limit of 4096 bytes/.test(error.message);

  it('finds a file over the limit from the headers, and none when every file is within it', async () => {
    const { files, archive } = await archiveWith(4097);
    assert.deepEqual(await files.archivedMemoryProblem(archive, { ...DEFAULT_MEMORY_LIMITS, fileBytes: 4096 }), {
      kind: 'file-too-large',
      file: { path: 'main/notes/large.md', bytes: 4097 },
      maxBytes: 4096,
    });
    assert.equal(await files.archivedMemoryProblem(archive, { ...DEFAULT_MEMORY_LIMITS, fileBytes: 4097 }), undefined);
  });

  it('refuses a file over the limit as it reads the archive file by file, before handing it out', async () => {
    const { files, archive } = await archiveWith(4097);
    const handedOut: string[] = [];
    await assert.rejects(async () => {
      for await (const file of files.archivedFiles(archive, 4096)) handedOut.push(file.path);
    }, refused);
    assert.ok(!handedOut.includes('main/notes/large.md'), handedOut.join());
  });

  it('refuses to replace a folder with an archive holding a file over the limit, leaving it and nothing beside it', async () => {
    const { root, files, archive } = await archiveWith(4097);
    const live = join(root, 'memory');
    mkdirSync(live);
    writeFileSync(join(live, 'kept.md'), 'kept');
    await assert.rejects(() => files.replaceDirectory(live, archive, 4096), refused);
    assert.deepEqual(readdirSync(live), ['kept.md']);
    assert.deepEqual(readdirSync(root).sort(), ['memory', 'memory.tar.gz', 'source']);
  });
});

/** One entry of a hand-made archive: a file of `size` bytes (zeros), a folder or a link. */
interface HandMadeEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  size?: number;
  linkpath?: string;
}

/** The tar blocks of one entry, written as any tar could write it (no check of what it names); a long path in a PAX header. */
function entryBlocks({ path, type = 'File', size = 0, linkpath }: HandMadeEntry): Buffer[] {
  const header = new Header({
    path,
    type,
    size,
    linkpath,
    mode: type === 'Directory' ? 0o755 : 0o644,
    mtime: new Date(0),
  });
  const needsPax = header.encode();
  return [...(needsPax ? [new Pax({ path }).encode()] : []), header.block!, Buffer.alloc(Math.ceil(size / 512) * 512)];
}

/** A gzip tar of `entries`. */
function handMadeArchive(dir: string, entries: HandMadeEntry[]): string {
  const archive = join(dir, 'memory.tar.gz');
  writeFileSync(archive, gzipSync(Buffer.concat([...entries.flatMap(entryBlocks), Buffer.alloc(1024)])));
  return archive;
}

/** A gzip tar of `entries` written as they come, for an archive too large to build in memory. */
async function streamedArchive(dir: string, entries: Iterable<HandMadeEntry>): Promise<string> {
  const archive = join(dir, 'memory.tar.gz');
  const blocks = function* () {
    for (const entry of entries) yield Buffer.concat(entryBlocks(entry));
    yield Buffer.alloc(1024);
  };
  await pipeline(Readable.from(blocks()), createGzip({ level: 1 }), createWriteStream(archive));
  return archive;
}

describe('BackupRepository.archivedMemoryProblem: what a restore refuses before it changes anything', () => {
  const limits: MemoryLimits = { fileBytes: 100, directoryBytes: 250, memoryBytes: 400, entries: 6 };
  const problemOf = (entries: HandMadeEntry[]) =>
    new BackupRepository(makeTempDir()).archivedMemoryProblem(handMadeArchive(makeTempDir(), entries), limits);

  it('refuses a path that climbs out of the archive, through .. or from the root', async () => {
    assert.deepEqual(
      await problemOf([
        { path: './main/a.md', size: 10 },
        { path: 'main/../../escaped.md', size: 5 },
      ]),
      {
        kind: 'outside',
        path: 'main/../../escaped.md',
      },
    );
    assert.deepEqual(await problemOf([{ path: '/etc/cron.d/job', size: 5 }]), {
      kind: 'outside',
      path: '/etc/cron.d/job',
    });
  });

  it('refuses a symbolic or a hard link, which a memory never holds', async () => {
    assert.deepEqual(await problemOf([{ path: 'main/passwd.md', type: 'SymbolicLink', linkpath: '/etc/passwd' }]), {
      kind: 'not-a-file',
      path: 'main/passwd.md',
      type: 'SymbolicLink',
    });
    assert.deepEqual(
      await problemOf([
        { path: 'main/a.md', size: 5 },
        { path: 'main/b.md', type: 'Link', linkpath: 'main/a.md' },
      ]),
      { kind: 'not-a-file', path: 'main/b.md', type: 'Link' },
    );
  });

  it('refuses a folder whose files together are over the per-folder limit, naming the folder', async () => {
    const files = [90, 90, 71].map((size, i) => ({ path: `./main/notes/${i}.md`, size }));
    assert.deepEqual(await problemOf([{ path: './main/top.md', size: 90 }, ...files]), {
      kind: 'over-limits',
      reason: 'the folder "main/notes" would hold 251 bytes; a folder holds at most 250 bytes',
    });
  });

  it('refuses a namespace whose memory is over the total limit, each folder within its own', async () => {
    const files = [
      { path: 'main/a.md', size: 100 },
      { path: 'main/x/c.md', size: 100 },
      { path: 'main/b.md', size: 100 },
      { path: 'main/x/d.md', size: 100 },
      { path: 'main/e.md', size: 10 },
    ];
    assert.deepEqual(await problemOf(files), {
      kind: 'over-limits',
      reason: 'the memory "main" would hold 410 bytes; it holds at most 400 bytes',
    });
  });

  it('refuses a namespace over the limit on entries, counting its folders and empty ones', async () => {
    const entries: HandMadeEntry[] = [
      { path: 'main/', type: 'Directory' },
      { path: 'main/empty/', type: 'Directory' },
      { path: 'main/notes/a.md' },
      { path: 'main/notes/b.md' },
      { path: 'main/.filters', size: 2 },
      { path: 'main/c.md' },
      { path: 'main/d.md' },
    ];
    assert.deepEqual(await problemOf(entries), {
      kind: 'over-limits',
      reason: 'the memory "main" would hold 7 files and folders; it holds at most 6',
    });
  });

  it('takes a memory at its limits, each namespace counted on its own and a file given twice counted once', async () => {
    const namespace = (name: string): HandMadeEntry[] => [
      { path: `${name}/notes/a.md`, size: 100 },
      { path: `${name}/notes/b.md`, size: 100 },
      { path: `${name}/notes/b.md`, size: 50 },
      { path: `${name}/more/c.md`, size: 100 },
      { path: `${name}/more/d.md`, size: 100 },
    ];
    assert.equal(
      await problemOf([{ path: './', type: 'Directory' }, ...namespace('main'), ...namespace('other')]),
      undefined,
    );
  });
});

describe('BackupRepository.archivedMemoryProblem: an archive of many namespaces', () => {
  /** Each namespace's files, `files` of them, one namespace after another as tar interleaves them (file 0 of each, then file 1…). */
  function* namespaces(
    count: number,
    files: number,
    path = (file: number) => `notes/${file}.md`,
  ): Generator<HandMadeEntry> {
    for (let file = 0; file < files; file++) {
      for (let namespace = 0; namespace < count; namespace++) yield { path: `ns-${namespace}/${path(file)}`, size: 10 };
    }
  }
  /** A path of 236 bytes, as long as a plain tar header holds (a longer one takes an extended header, slower to read). */
  const longPath = (file: number) => `${'a'.repeat(140)}/${String(file).padStart(95, 'f')}`;

  /**
   * archivedMemoryProblem in a worker thread whose heap is capped at 40 MiB, with a tally budget of 12 MiB: a
   * scan holding every namespace's tally at once (about 55 MiB here) dies there with ERR_WORKER_OUT_OF_MEMORY.
   */
  function scanInSmallHeap(archive: string, limits: MemoryLimits): Promise<unknown> {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { BackupRepository } = require(workerData.module);
      new BackupRepository(workerData.root, 12 * 1024 * 1024)
        .archivedMemoryProblem(workerData.archive, workerData.limits)
        .then((problem) => parentPort.postMessage({ problem }));`;
    const worker = new Worker(code, {
      eval: true,
      workerData: { module: require.resolve('./backup.repository'), root: makeTempDir(), archive, limits },
      resourceLimits: { maxOldGenerationSizeMb: 40, maxYoungGenerationSizeMb: 8 },
    });
    return new Promise((resolve, reject) => {
      worker.once('message', (result) => {
        resolve(result);
        void worker.terminate();
      });
      worker.once('error', reject);
    });
  }

  it('holds about its budget, not every namespace at once: 108,000 long paths of 3,000 namespaces scanned in a 40 MiB heap', async () => {
    const archive = await streamedArchive(makeTempDir(), namespaces(3000, 36, longPath));
    assert.deepEqual(await scanInSmallHeap(archive, DEFAULT_MEMORY_LIMITS), { problem: undefined });
  });

  it('still finds the one namespace over its limits when its namespaces are tallied over several reads', async () => {
    const limits: MemoryLimits = { ...DEFAULT_MEMORY_LIMITS, entries: 4 };
    const files = new BackupRepository(makeTempDir(), 40_000);
    const within = [...namespaces(300, 3)];
    assert.equal(await files.archivedMemoryProblem(handMadeArchive(makeTempDir(), within), limits), undefined);
    const over = [...within.slice(0, 450), { path: 'ns-77/notes/extra.md' }, ...within.slice(450)];
    assert.deepEqual(await files.archivedMemoryProblem(handMadeArchive(makeTempDir(), over), limits), {
      kind: 'over-limits',
      reason: 'the memory "ns-77" would hold 5 files and folders; it holds at most 4',
    });
  });

  it('reads the archive once when its namespaces are tallied in several shares, and leaves nothing in the backups folder', async (t) => {
    const limits: MemoryLimits = { ...DEFAULT_MEMORY_LIMITS, entries: 4 };
    const root = makeTempDir();
    const archive = handMadeArchive(makeTempDir(), [...namespaces(300, 3), { path: 'ns-77/notes/extra.md' }]);
    const open = fs.open as (path: fs.PathLike, ...rest: unknown[]) => void;
    const opened = t.mock.method(fs, 'open', (path: fs.PathLike, ...rest: unknown[]) => open(path, ...rest));
    assert.deepEqual(await new BackupRepository(root, 40_000).archivedMemoryProblem(archive, limits), {
      kind: 'over-limits',
      reason: 'the memory "ns-77" would hold 5 files and folders; it holds at most 4',
    });
    assert.equal(opened.mock.calls.filter((call) => call.arguments[0] === archive).length, 1);
    assert.deepEqual(readdirSync(root), []);
  });

  it('refuses a path longer than a write takes, or a name longer than a folder holds', async () => {
    const files = new BackupRepository(makeTempDir());
    const problemOf = (path: string) =>
      files.archivedMemoryProblem(handMadeArchive(makeTempDir(), [{ path, size: 1 }]), DEFAULT_MEMORY_LIMITS);
    const path = `${['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(250)).join('/')}/f.md`;
    assert.deepEqual(await problemOf(`main/${path}`), {
      kind: 'over-limits',
      reason: `"main/${path}" is a path of 1259 bytes; a memory path is at most 1024`,
    });
    const name = `${'n'.repeat(253)}.md`;
    assert.deepEqual(await problemOf(`main/notes/${name}`), {
      kind: 'over-limits',
      reason: `"main/notes/${name}" holds a name longer than 255 bytes`,
    });
  });
});
