import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, TestContext } from 'node:test';
import { MemoryFiles, memoryFilesOf } from './agent-memory-files';
import { CliStore, openCliStore } from './engram-cli';
import { e2eStorages, startCliStorage } from './e2e-storage';
import { runEngram } from './engram-cli';

const MIB = 1024 * 1024;
/**
 * The agent's memory the large backup holds: 192 files of 1 MiB, 48 MiB in each of 4 namespaces, 8 MiB in each
 * folder, within the limits a restore holds a memory to (docs/agent.md).
 */
const LARGE_FILES = 192;
/**
 * How much more backing up or restoring the large memory may peak at than doing it for one small file. Read
 * into memory whole, the files cost 231 MiB more to back up and 387 MiB more to restore on PostgreSQL; a page
 * or a file at a time, 50 to 70 MiB to restore and 90 to 110 MiB to back up (70 on SQLite, whose memory folder
 * tar reads from disk): what archiving and the garbage collector's pace let pile up, whatever the size.
 */
const MAX_EXTRA_PEAK_BYTES = { 'backing up': 160 * MIB, restoring: 128 * MIB };

/**
 * Loaded with every command the spec runs: writes the process's peak resident memory where it is told, at
 * exit. VmHWM (Linux) is this program's own peak since it started; getrusage's maxrss is not, as it keeps the
 * peak of the process it was forked from (this spec's, which holds the test data and, on PGlite, the database).
 */
const PEAK_REPORTER = `process.on('exit', () => {
  const fs = require('node:fs');
  const kib = /^VmHWM:\\s+(\\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];
  fs.writeFileSync(process.env.ENGRAM_TEST_PEAK_RSS_FILE, String(Number(kib) * 1024));
});`;

/**
 * 1 MiB of text unlike any other file's, compressed quickly and some 50 times (a random 16 KiB repeated): the
 * archive is quick to write and read, and far from the 1000 times past which tar refuses an archive.
 */
function distinctMebibyte(): Buffer {
  return Buffer.from(
    randomBytes(12 * 1024)
      .toString('base64')
      .repeat(64),
  );
}

for (const storage of e2eStorages())
  describe(`a backup's and a restore's memory do not grow with the agent's memory (${storage.name})`, () => {
    let store: CliStore;
    let env: Record<string, string>;
    let files: MemoryFiles;
    let peakFile: string;

    before(async () => {
      store = await openCliStore('restore-footprint-model');
      const memoryDir = join(store.dir, 'memory');
      mkdirSync(memoryDir);
      const reporter = join(store.dir, 'peak-rss.js');
      writeFileSync(reporter, PEAK_REPORTER);
      peakFile = join(store.dir, 'peak-rss');
      env = {
        ...(await startCliStorage(storage, store)),
        MEMORY_DIR: memoryDir,
        MCP_MEMORY_BACKUPS_PATH: join(store.dir, 'backups'),
        NODE_OPTIONS: `--require ${reporter}`,
        ENGRAM_TEST_PEAK_RSS_FILE: peakFile,
      };
      files = memoryFilesOf(env, memoryDir);
    });
    after(async () => {
      await storage.stop();
      await store.close();
    });

    /** Runs `engram <args>` to a successful end; answers its output and its peak resident memory. */
    const engram = async (args: string[]) => {
      rmSync(peakFile, { force: true });
      const run = await runEngram(args, env, store.dir);
      assert.equal(run.code, 0, `engram ${args.join(' ')}: ${run.stderr}`);
      return { ...run, peak: Number(readFileSync(peakFile, 'utf8')) };
    };
    const backup = async () => {
      const { stdout, peak } = await engram(['backup', '--json']);
      return { id: JSON.parse(stdout).backup_id as string, peak };
    };
    const restore = async (id: string) => (await engram(['restore', id, '--yes'])).peak;

    /** Fails when doing `what` for the large memory peaked more than the margin above doing it for one file. */
    const assertBounded = (
      t: TestContext,
      what: keyof typeof MAX_EXTRA_PEAK_BYTES,
      smallPeak: number,
      largePeak: number,
    ) => {
      const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;
      t.diagnostic(`peak resident memory ${what}: ${mib(smallPeak)} for one file, ${mib(largePeak)} for them all`);
      assert.ok(
        largePeak - smallPeak < MAX_EXTRA_PEAK_BYTES[what],
        `${what} ${LARGE_FILES} MiB of files peaked ${mib(largePeak - smallPeak)} above one small file (${mib(smallPeak)})`,
      );
    };

    it('backs up and restores 192 MiB of memory files peaking at no more than for one small file, plus a little', async (t) => {
      await engram(['store', 'kept by every backup']);
      await files.put([{ namespace: 'default', path: 'user.md', content: Buffer.from('# User\n') }]);
      const small = await backup();
      await files.clear();
      await files.put(
        Array.from({ length: LARGE_FILES }, (_, i) => ({
          namespace: `ns${i % 4}`,
          path: `notes/part-${Math.floor(i / 32)}/note-${i}.md`,
          content: distinctMebibyte(),
        })),
      );
      const large = await backup();
      assertBounded(t, 'backing up', small.peak, large.peak);
      // Emptied first, so neither restore's own pre-restore backup has much to archive.
      await files.clear();

      const smallPeak = await restore(small.id);
      assert.deepEqual(await files.tally(), { files: 1, bytes: 7 });
      const largePeak = await restore(large.id);
      assert.deepEqual(await files.tally(), { files: LARGE_FILES, bytes: LARGE_FILES * MIB });
      assertBounded(t, 'restoring', smallPeak, largePeak);
    });
  });
