import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryFiles, memoryFilesOf } from './agent-memory-files';
import { e2eStorages, memoryRowsIn, startCliStorage } from './e2e-storage';
import { CliStore, openCliStore, runEngram } from './engram-cli';

/** The memory agent's limit on one file (agent-file.rules.ts): 1 MiB. */
const FILE_LIMIT_BYTES = 1024 * 1024;

/** Writes a file of `bytes` (lines of notes) at `path`, its folders made. */
function writeNotes(path: string, bytes: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'a line of notes\n'.repeat(bytes / 16) + 'x'.repeat(bytes % 16));
}

/**
 * Rebuilds a backup's memory archive with the system's tar after `change` altered its files (extracted into
 * `scratch`), with `tarOptions` (a rename of a member), and seals it in the manifest again: a backup made by
 * hand, or by a deployment with larger limits.
 */
function alterArchive(backupDir: string, scratch: string, change: (dir: string) => void, tarOptions: string[] = []) {
  const archive = join(backupDir, 'memory.tar.gz');
  mkdirSync(scratch);
  execFileSync('tar', ['-xzf', archive, '-C', scratch]);
  change(scratch);
  execFileSync('tar', ['-czf', archive, ...tarOptions, '-C', scratch, '.']);
  const bytes = readFileSync(archive);
  const manifestPath = join(backupDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.memory_dir = {
    ...manifest.memory_dir,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  writeFileSync(manifestPath, JSON.stringify(manifest));
}

/** A backup altered so a restore must refuse it, and the last line `engram restore` then prints after `Backup <id> is not restored: `. */
interface RefusedArchive {
  name: string;
  change: (dir: string) => void;
  tarOptions?: string[];
  /** The restoring server's limit on entries (ENGRAM_MEMORY_MAX_ENTRIES), when not the default. */
  maxEntries?: string;
  refusal: string;
}

const LIMITS_DOC = '(docs/agent.md, "The memory functions")';

const REFUSED_ARCHIVES: RefusedArchive[] = [
  {
    name: 'a file over the per-file limit',
    change: (dir) => writeNotes(join(dir, 'default/notes/huge.md'), FILE_LIMIT_BYTES + 1),
    refusal:
      `its memory archive holds "default/notes/huge.md" of ${FILE_LIMIT_BYTES + 1} bytes, over the memory ` +
      `agent's per-file limit of ${FILE_LIMIT_BYTES} bytes ${LIMITS_DOC}`,
  },
  {
    name: 'a folder over the per-folder limit',
    change: (dir) => {
      for (let i = 0; i < 11; i++) writeNotes(join(dir, `default/notes/part-${i}.md`), FILE_LIMIT_BYTES);
    },
    refusal:
      'its memory archive is over the memory agent\'s limits: the folder "default/notes" would hold ' +
      `${11 * FILE_LIMIT_BYTES} bytes; a folder holds at most ${10 * FILE_LIMIT_BYTES} bytes ${LIMITS_DOC}`,
  },
  {
    name: "a namespace over the restoring server's limit on entries",
    change: (dir) => ['a', 'b'].forEach((name) => writeNotes(join(dir, `default/notes/${name}.md`), 10)),
    maxEntries: '3',
    refusal:
      'its memory archive is over the memory agent\'s limits: the memory "default" would hold 4 files ' +
      `and folders; it holds at most 3 ${LIMITS_DOC}`,
  },
  {
    name: 'a symbolic link',
    change: (dir) => symlinkSync('/etc/passwd', join(dir, 'default/passwd.md')),
    refusal:
      'its memory archive holds "./default/passwd.md" of type SymbolicLink; a memory holds only files and folders',
  },
  {
    name: 'a path out of the archive',
    change: (dir) => writeNotes(join(dir, 'default/escaped.md'), 10),
    tarOptions: ['--absolute-names', '--transform', 's,^\\./default/escaped\\.md$,../escaped.md,'],
    refusal: 'its memory archive holds "../escaped.md", a path outside it',
  },
];

for (const storage of e2eStorages())
  describe(`a restore refuses a memory file over the agent's limit (${storage.name})`, () => {
    let store: CliStore;
    let env: Record<string, string>;
    let files: MemoryFiles;

    before(async () => {
      store = await openCliStore('restore-file-limit-model');
      const memoryDir = join(store.dir, 'memory');
      mkdirSync(memoryDir);
      env = {
        ...(await startCliStorage(storage, store)),
        MEMORY_DIR: memoryDir,
        MCP_MEMORY_BACKUPS_PATH: join(store.dir, 'backups'),
      };
      files = memoryFilesOf(env, memoryDir);
    });
    after(async () => {
      await storage.stop();
      await store.close();
    });

    const backupIds = async (): Promise<string[]> =>
      JSON.parse((await engram(['restore', '--list', '--json'])).stdout).backups.map(
        (backup: { backup_id: string }) => backup.backup_id,
      );
    let scratches = 0;
    /** A fresh folder for an archive's files, inside the store's folder (removed with it). */
    const scratchIn = (dir: string) => join(dir, `crafted-${scratches++}`);

    const engram = async (args: string[], code = 0) => {
      const run = await runEngram(args, env, store.dir);
      assert.equal(run.code, code, `engram ${args.join(' ')}: ${run.stderr}`);
      return run;
    };

    for (const refused of REFUSED_ARCHIVES)
      it(`refuses ${refused.name} before it changes anything, and says why`, async () => {
        await engram(['store', `kept by the backup of ${refused.name}`]);
        await files.clear();
        await files.put([{ namespace: 'default', path: 'user.md', content: Buffer.from('# User\n') }]);
        const id: string = JSON.parse((await engram(['backup', '--json'])).stdout).backup_id;
        alterArchive(join(env.MCP_MEMORY_BACKUPS_PATH, id), scratchIn(store.dir), refused.change, refused.tarOptions);
        const written = `written after the backup of ${refused.name}`;
        await engram(['store', written]);
        await files.put([{ namespace: 'default', path: 'notes/after.md', content: Buffer.from('# After\n') }]);
        const filesBefore = await files.tally();
        const backupsBefore = await backupIds();

        const limits: Record<string, string> = refused.maxEntries
          ? { ENGRAM_MEMORY_MAX_ENTRIES: refused.maxEntries }
          : {};
        const restore = await runEngram(['restore', id, '--yes'], { ...env, ...limits }, store.dir);
        assert.equal(restore.code, 65, restore.stderr);
        assert.equal(
          restore.stderr.trimEnd().split('\n').at(-1),
          `engram restore: failed: Backup ${id} is not restored: ${refused.refusal}`,
        );
        assert.deepEqual(await files.tally(), filesBefore, 'the memory files as they were');
        assert.deepEqual(await memoryRowsIn(env)(written), [{ deleted: false }]);
        assert.deepEqual(await backupIds(), backupsBefore, 'no pre-restore backup: nothing was swapped');
      });
  });
