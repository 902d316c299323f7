import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { OpenedStorage, postgresAdapter, sqliteAdapter, StorageAdapterUnderTest } from '../testing/storage-adapters';
import { waitFor } from '../testing/wait-for';
import { MemoryDirectoryRepository } from '../agent/memory-dir/memory-directory.repository';
import { DEFAULT_MEMORY_LIMITS, EntryMissing, LimitExceeded, MemoryLimits, PathRefused } from './agent-file.rules';
import { AgentFileStore } from './agent-file.store';

const MODEL = { modelId: 'contract-model', dimension: 8 };
const SMALL: MemoryLimits = { fileBytes: 100, directoryBytes: 250, memoryBytes: 400, entries: 100 };
const FOUR_ENTRIES: MemoryLimits = { ...DEFAULT_MEMORY_LIMITS, entries: 4 };

/**
 * The agent file store's contract, run against every adapter: the memory folder on local disk (beside
 * the SQLite file) and the `agent_files` table in PostgreSQL (PGlite over the wire protocol, through
 * `pg`). The same calls must give the same answers, refusals included.
 */
for (const adapter of [sqliteAdapter(), postgresAdapter()]) {
  describe(`agent file store contract: ${adapter.name}`, () => contract(adapter));
}

function contract(adapter: StorageAdapterUnderTest): void {
  let storage: OpenedStorage;
  let files: AgentFileStore;
  before(() => adapter.start());
  after(() => adapter.stop());
  beforeEach(async () => {
    await adapter.wipe();
    storage = await adapter.open(MODEL);
    files = storage.agentFiles();
  });
  afterEach(() => storage.close());

  const refusal = async (work: () => Promise<unknown>, kind: new (message: string) => Error, message: RegExp) => {
    await assert.rejects(work, (error: Error) => {
      assert.ok(error instanceof kind, `${error.constructor.name}: ${error.message}`);
      assert.match(error.message, message);
      return true;
    });
  };

  it('writes, reads, lists (visible files by path, size in bytes) and deletes files', async () => {
    assert.deepEqual(await files.write('default', 'user.md', '# User\n- city: Lisbon\n', 'hand_edit'), {
      created: true,
    });
    assert.deepEqual(await files.write('default', 'entities/café.md', '# Café ☕\n', 'hand_edit'), { created: true });
    assert.deepEqual(await files.write('default', 'user.md', '# User\n- city: Porto\n', 'hand_edit'), {
      created: false,
    });
    assert.equal(await files.read('default', 'user.md'), '# User\n- city: Porto\n');
    assert.equal(await files.read('default', 'entities/café.md'), '# Café ☕\n');
    const listed = await files.list('default');
    assert.deepEqual(
      listed.map(({ path, size }) => ({ path, size })),
      [
        { path: 'entities/café.md', size: Buffer.byteLength('# Café ☕\n') },
        { path: 'user.md', size: Buffer.byteLength('# User\n- city: Porto\n') },
      ],
    );
    for (const file of listed) assert.ok(Math.abs(file.modifiedMs - Date.now()) < 60_000, `${file.modifiedMs}`);

    await files.delete('default', 'entities/café.md', 'hand_edit');
    assert.deepEqual(
      (await files.list('default')).map((file) => file.path),
      ['user.md'],
    );
    await refusal(
      () => files.read('default', 'entities/café.md'),
      EntryMissing,
      /file "entities\/café.md" does not exist/,
    );
    await refusal(() => files.delete('default', 'entities/café.md', 'hand_edit'), EntryMissing, /does not exist/);
  });

  it('accepts the same spellings of a path: separators doubled, backslashes, ./ and trailing slashes', async () => {
    await files.write('default', 'entities\\acme_corp.md', 'acme', 'hand_edit');
    for (const spelling of [
      'entities/acme_corp.md',
      'entities//acme_corp.md',
      './entities/acme_corp.md',
      ' entities/x/../acme_corp.md ',
    ]) {
      assert.equal(await files.read('default', spelling), 'acme', spelling);
    }
    assert.deepEqual(
      (await files.list('default')).map((file) => file.path),
      ['entities/acme_corp.md'],
    );
  });

  it('refuses paths outside the memory, absolute, hidden, over-long or not text, for every operation, with the same words', async () => {
    await files.write('default', 'user.md', 'kept', 'hand_edit');
    const refused: [unknown, RegExp][] = [
      ['../outside.md', /is outside the memory/],
      ['entities/../../outside.md', /is outside the memory/],
      ['/etc/passwd', /absolute paths are not allowed/],
      ['.filters', /names a hidden file or folder/],
      ['entities/.draft.md', /names a hidden file or folder/],
      ['a\0b.md', /contains a control character/],
      ['two\nlines.md', /contains a control character/],
      ['bell\u0007.md', /contains a control character/],
      [42, /the path must be a string/],
      [`${'d'.repeat(200)}/`.repeat(6) + 'x.md', /the path is longer than 1024 bytes/],
      [`${'n'.repeat(256)}.md`, /a file or folder name is longer than 255 bytes/],
    ];
    for (const [path, message] of refused) {
      await refusal(() => files.write('default', path as string, 'x', 'hand_edit'), PathRefused, message);
      await refusal(() => files.read('default', path as string), PathRefused, message);
      await refusal(() => files.delete('default', path as string, 'hand_edit'), PathRefused, message);
    }
    await refusal(() => files.write('default', '', 'x', 'hand_edit'), PathRefused, /a file path is required/);
    await refusal(() => files.write('default', './', 'x', 'hand_edit'), PathRefused, /a file path is required/);
    assert.deepEqual(
      (await files.list('default')).map((file) => file.path),
      ['user.md'],
    );
  });

  it('keeps files and folders apart: no file where a folder is, none inside a file, a folder is not read', async () => {
    await files.write('default', 'entities/acme.md', 'acme', 'hand_edit');
    await files.write('default', 'user.md', 'user', 'hand_edit');
    await refusal(
      () => files.write('default', 'entities', 'x', 'hand_edit'),
      EntryMissing,
      /"entities" is a folder, not a file/,
    );
    await refusal(
      () => files.write('default', 'user.md/notes.md', 'x', 'hand_edit'),
      EntryMissing,
      /"user.md" is a file, not a folder/,
    );
    await refusal(
      () => files.write('default', 'user.md/a/b.md', 'x', 'hand_edit'),
      EntryMissing,
      /"user.md" is a file, not a folder/,
    );
    await refusal(() => files.read('default', 'entities'), EntryMissing, /"entities" is a folder, not a file/);
    await refusal(
      () => files.delete('default', 'entities', 'hand_edit'),
      EntryMissing,
      /file "entities" does not exist/,
    );
    assert.equal(await files.read('default', 'user.md'), 'user');
  });

  it('enforces the size limits of a file, of one folder and of the whole memory, in UTF-8 bytes', async () => {
    const small = storage.agentFiles(SMALL);
    await refusal(
      () => small.write('default', 'big.md', 'é'.repeat(51), 'hand_edit'),
      LimitExceeded,
      /^the content is 102 bytes; a file holds at most 100 bytes$/,
    );
    await small.write('default', 'notes/a.md', 'a'.repeat(100), 'hand_edit');
    await small.write('default', 'notes/b.md', 'b'.repeat(100), 'hand_edit');
    await refusal(
      () => small.write('default', 'notes/c.md', 'c'.repeat(51), 'hand_edit'),
      LimitExceeded,
      /^the folder would hold 251 bytes; a folder holds at most 250 bytes$/,
    );
    // Replacing a file counts its old size out.
    await small.write('default', 'notes/b.md', 'B'.repeat(100), 'hand_edit');
    // Files of sub-folders are not the folder's own.
    await small.write('default', 'notes/deeper/d.md', 'd'.repeat(100), 'hand_edit');
    await small.writeRootFile('default', '.filters', 'f'.repeat(50));
    await refusal(
      () => small.write('default', 'other/e.md', 'e'.repeat(51), 'hand_edit'),
      LimitExceeded,
      /^the memory would hold 401 bytes; it holds at most 400 bytes$/,
    );
    await small.write('default', 'other/e.md', 'e'.repeat(50), 'hand_edit');
    assert.equal(
      (await small.list('default')).reduce((sum, file) => sum + file.size, 0),
      350,
    );
    await assert.rejects(() => small.read('default', 'notes/c.md'), EntryMissing);
  });

  it('caps the files and folders of each memory, folders its paths make included; a full memory can still be edited', async () => {
    const capped = storage.agentFiles(FOUR_ENTRIES);
    await capped.write('default', 'user.md', '', 'hand_edit');
    await capped.write('default', 'notes/a.md', 'a', 'hand_edit');
    await capped.writeRootFile('default', '.filters', '- no ages\n');
    for (const path of ['b.md', 'notes/deeper/c.md']) {
      await refusal(
        () => capped.write('default', path, '', 'hand_edit'),
        LimitExceeded,
        /^the memory would hold (5|6) files and folders; it holds at most 4$/,
      );
    }
    await capped.write('default', 'notes/a.md', 'A', 'hand_edit');
    await capped.write('other', 'b.md', 'b', 'hand_edit');
    await capped.delete('default', 'user.md', 'hand_edit');
    await capped.write('default', 'notes/b.md', 'b', 'hand_edit');
    assert.deepEqual(
      (await capped.list('default')).map((file) => file.path),
      ['notes/a.md', 'notes/b.md'],
    );
  });

  it("an agent run's folder keeps to the store's limits: what the store refuses, the run cannot save", async () => {
    const capped = storage.agentFiles(FOUR_ENTRIES);
    await capped.write('default', 'user.md', '', 'hand_edit');
    await capped.write('default', 'notes/a.md', 'a', 'hand_edit');
    const workspace = await capped.openWorkspace('default', 'agent');
    const run = new MemoryDirectoryRepository(workspace.root, workspace.limits);
    await run.writeText(run.resolve('b.md'), 'b');
    await assert.rejects(() => run.makeDir(run.resolve('empty')), LimitExceeded);
    await assert.rejects(() => run.writeText(run.resolve('c.md'), 'c'), LimitExceeded);
    await workspace.save();
    await workspace.close();
    assert.deepEqual(
      (await capped.list('default')).map((file) => file.path),
      ['b.md', 'notes/a.md', 'user.md'],
    );
  });

  it('keeps each namespace to itself', async () => {
    await files.write('alpha', 'user.md', 'alpha user', 'hand_edit');
    await files.writeRootFile('alpha', '.filters', '- alpha rule\n');
    assert.deepEqual(await files.list('beta'), []);
    await refusal(() => files.read('beta', 'user.md'), EntryMissing, /file "user.md" does not exist/);
    await refusal(() => files.delete('beta', 'user.md', 'hand_edit'), EntryMissing, /does not exist/);
    assert.equal(await files.readRootFile('beta', '.filters'), undefined);
    await files.write('beta', 'user.md', 'beta user', 'hand_edit');
    assert.equal(await files.read('alpha', 'user.md'), 'alpha user');
    assert.equal(await files.read('beta', 'user.md'), 'beta user');
    assert.deepEqual(await files.namespaces(), ['alpha', 'beta']);
  });

  it('keeps hidden root files (.filters) apart from the files the model browses', async () => {
    assert.equal(await files.readRootFile('default', '.filters'), undefined);
    assert.deepEqual(await files.writeRootFile('default', '.filters', '- no ages\n'), { created: true });
    assert.deepEqual(await files.writeRootFile('default', '.filters', '- no ages\n- no emails\n'), { created: false });
    assert.equal(await files.readRootFile('default', '.filters'), '- no ages\n- no emails\n');
    assert.deepEqual(await files.list('default'), []);
    for (const name of ['filters', '../.filters', '.a/b']) {
      await refusal(() => files.writeRootFile('default', name, 'x'), PathRefused, /is not a file of the memory root/);
    }
  });

  it('an agent run works on a local folder; saving keeps what it created, updated and deleted, and leaves the rest alone', async () => {
    await files.write('default', 'user.md', '# User\n- city: Lisbon\n', 'hand_edit');
    await files.write('default', 'entities/acme.md', '# Acme\n', 'hand_edit');
    await files.write('default', 'notes/keep.md', '# Untouched\n', 'hand_edit');
    await files.writeRootFile('default', '.filters', '- no ages\n');
    const keptBefore = (await files.list('default')).find((file) => file.path === 'notes/keep.md')!;
    await waitFor(() => Date.now() > keptBefore.modifiedMs + 5, 'the clock to move past the last write');

    const workspace = await files.openWorkspace('default', 'hand_edit');
    assert.equal(readFileSync(join(workspace.root, 'user.md'), 'utf8'), '# User\n- city: Lisbon\n');
    assert.equal(readFileSync(join(workspace.root, 'notes/keep.md'), 'utf8'), '# Untouched\n');
    assert.equal(readFileSync(join(workspace.root, '.filters'), 'utf8'), '- no ages\n');
    writeFileSync(join(workspace.root, 'user.md'), '# User\n- city: Porto\n');
    mkdirSync(join(workspace.root, 'entities'), { recursive: true });
    writeFileSync(join(workspace.root, 'entities/maria.md'), '# Maria\n');
    rmSync(join(workspace.root, 'entities/acme.md'));
    await workspace.save();
    await workspace.close();

    assert.deepEqual(
      (await files.list('default')).map((file) => file.path),
      ['entities/maria.md', 'notes/keep.md', 'user.md'],
    );
    assert.equal(await files.read('default', 'user.md'), '# User\n- city: Porto\n');
    assert.equal(await files.read('default', 'entities/maria.md'), '# Maria\n');
    await assert.rejects(() => files.read('default', 'entities/acme.md'), EntryMissing);
    const keptAfter = (await files.list('default')).find((file) => file.path === 'notes/keep.md')!;
    assert.equal(keptAfter.modifiedMs, keptBefore.modifiedMs);
    assert.equal(await files.readRootFile('default', '.filters'), '- no ages\n');
  });

  it("a namespace's workspace holds only that namespace's files", async () => {
    await files.write('alpha', 'user.md', 'alpha', 'hand_edit');
    await files.write('beta', 'secret.md', 'beta', 'hand_edit');
    const workspace = await files.openWorkspace('alpha', 'hand_edit');
    try {
      assert.ok(existsSync(join(workspace.root, 'user.md')));
      assert.ok(!existsSync(join(workspace.root, 'secret.md')));
    } finally {
      await workspace.close();
    }
  });

  if (adapter.name.startsWith('PostgreSQL')) postgresOnly(() => files);
}

/** A materialised workspace lives under the OS temporary folder, never inside MEMORY_DIR. */
function workspaceIsCopy(root: string): boolean {
  return /engram-memory-/.test(root);
}

/** What only the database store does: copy for the run, write back in one transaction, clean up. */
function postgresOnly(store: () => AgentFileStore): void {
  it('copies the memory into a private temporary folder (0700) and removes it on close, saved or not', async () => {
    const files = store();
    await files.write('default', 'user.md', 'before', 'hand_edit');
    const workspace = await files.openWorkspace('default', 'hand_edit');
    assert.ok(workspaceIsCopy(workspace.root), workspace.root);
    assert.equal(statSync(workspace.root).mode & 0o777, 0o700);
    writeFileSync(join(workspace.root, 'user.md'), 'never saved');
    await workspace.close();
    assert.ok(!existsSync(workspace.root));
    assert.equal(await files.read('default', 'user.md'), 'before');
  });

  it('compares by content: a file rewritten unchanged is not written back', async () => {
    const files = store();
    await files.write('default', 'same.md', 'same', 'hand_edit');
    const [before] = await files.list('default');
    await waitFor(() => Date.now() > before.modifiedMs + 5, 'the clock to move past the last write');
    const workspace = await files.openWorkspace('default', 'hand_edit');
    writeFileSync(join(workspace.root, 'same.md'), 'same');
    writeFileSync(join(workspace.root, 'new.md'), 'new');
    await workspace.save();
    await workspace.close();
    const listed = await files.list('default');
    assert.equal(listed.find((file) => file.path === 'same.md')!.modifiedMs, before.modifiedMs);
    assert.ok(listed.find((file) => file.path === 'new.md')!.modifiedMs > before.modifiedMs);
  });

  it('a write-back that fails part-way saves nothing: the files written before the failure roll back', async () => {
    const files = store();
    await files.write('default', 'a_first.md', 'first v1', 'hand_edit');
    await files.write('default', 'm_gone.md', 'to be deleted', 'hand_edit');
    await files.write('default', 'z_last.md', 'last v1', 'hand_edit');
    const workspace = await files.openWorkspace('default', 'hand_edit');
    writeFileSync(join(workspace.root, 'a_first.md'), 'first v2');
    writeFileSync(join(workspace.root, 'b_new.md'), 'new');
    rmSync(join(workspace.root, 'm_gone.md'));
    writeFileSync(join(workspace.root, 'z_last.md'), 'last v2');
    // Written outside the namespace's turns while the run worked: the run's write-back must not clobber it,
    // and it fails on the last file, after the earlier ones were already written in its transaction.
    await files.write('default', 'z_last.md', 'written meanwhile', 'hand_edit');
    await assert.rejects(() => workspace.save(), /"z_last.md" changed while the agent ran/);
    await workspace.close();
    assert.ok(!existsSync(workspace.root));
    assert.equal(await files.read('default', 'a_first.md'), 'first v1');
    assert.equal(await files.read('default', 'm_gone.md'), 'to be deleted');
    assert.equal(await files.read('default', 'z_last.md'), 'written meanwhile');
    await assert.rejects(() => files.read('default', 'b_new.md'), EntryMissing);
  });
}
