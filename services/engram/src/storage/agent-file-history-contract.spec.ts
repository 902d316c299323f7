import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { OpenedStorage, postgresAdapter, sqliteAdapter, StorageAdapterUnderTest } from '../testing/storage-adapters';
import { KEPT_VERSIONS } from './agent-file-journal';
import { AgentFileStore } from './agent-file.store';

const MODEL = { modelId: 'history-model', dimension: 8 };

/**
 * The history of the memory files, run against every adapter: the MEMORY_DIR folder with its journal in
 * the SQLite file, and `agent_files` with `agent_file_versions` in PostgreSQL (PGlite over the wire).
 * Every write path journals its change with the actor that made it.
 */
for (const adapter of [sqliteAdapter(), postgresAdapter()]) {
  describe(`agent file history contract: ${adapter.name}`, () => contract(adapter));
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

  const history = async (path: string, namespace = 'default') =>
    (await files.history(namespace, path, { limit: 100 })).versions;

  it('journals writes and deletes, newest first, with actor, kind, size and a unified diff', async () => {
    await files.write('default', 'user.md', '# User\n- city: Lisbon\n', 'import');
    await files.write('default', 'user.md', '# User\n- city: Porto\n', 'hand_edit');
    await files.write('default', 'user.md', '# User\n- city: Porto\n', 'hand_edit');
    await files.delete('default', 'user.md', 'agent');

    const versions = await history('user.md');
    assert.deepEqual(
      versions.map(({ actor, kind, size }) => ({ actor, kind, size })),
      [
        { actor: 'agent', kind: 'deleted', size: 0 },
        { actor: 'hand_edit', kind: 'updated', size: 21 },
        { actor: 'import', kind: 'created', size: 22 },
      ],
      'rewriting the same content is no change',
    );
    assert.equal(
      versions[1].diff,
      '--- a/user.md\n+++ b/user.md\n@@ -1,2 +1,2 @@\n # User\n-- city: Lisbon\n+- city: Porto\n',
    );
    assert.match(versions[0].diff!, /^--- a\/user.md\n\+\+\+ \/dev\/null\n/);
    assert.match(versions[2].diff!, /^--- \/dev\/null\n\+\+\+ b\/user.md\n/);
    assert.ok(versions[0].id > versions[1].id && versions[1].id > versions[2].id);
    for (const version of versions) assert.ok(Math.abs(version.at - Date.now()) < 60_000, `${version.at}`);
  });

  it('reads back the content of each version; a deletion has none; unknown versions and paths find nothing', async () => {
    await files.write('default', 'notes/a.md', 'first\n', 'hand_edit');
    await files.write('default', 'notes/a.md', 'second\n', 'agent');
    await files.delete('default', 'notes/a.md', 'hand_edit');
    const [deleted, second, first] = await history('notes/a.md');
    assert.equal((await files.version('default', 'notes/a.md', first.id))?.content, 'first\n');
    assert.equal((await files.version('default', './notes//a.md', second.id))?.content, 'second\n');
    assert.deepEqual(await files.version('default', 'notes/a.md', deleted.id), { version: deleted, content: null });
    assert.equal(await files.version('default', 'notes/a.md', deleted.id + 1000), undefined);
    assert.equal(await files.version('default', 'notes/b.md', first.id), undefined, 'a version of another file');
    assert.deepEqual(await history('never.md'), []);
  });

  it('journals a file holding a NUL: its bytes kept whole, the NUL shown as ␀ in the diffs, later writes too', async () => {
    // A file the agent's sandbox wrote: PostgreSQL text (the diff) cannot hold a NUL, and once such a
    // file was stored, every later change's diff held it too.
    await files.write('default', 'raw.md', 'before\u0000after\n', 'agent');
    await files.write('default', 'raw.md', 'before\u0000later\n', 'agent');
    await files.write('default', 'raw.md', 'clean\n', 'hand_edit');
    const [clean, later, first] = await history('raw.md');
    assert.match(first.diff!, /\n\+before\u2400after\n$/);
    assert.match(later.diff!, /\n-before\u2400after\n\+before\u2400later\n$/);
    assert.match(clean.diff!, /\n-before\u2400later\n\+clean\n$/);
    assert.equal((await files.version('default', 'raw.md', later.id))?.content, 'before\u0000later\n');
    assert.equal(later.size, 13);
  });

  it("keeps each namespace's history to itself", async () => {
    await files.write('default', 'user.md', 'mine\n', 'hand_edit');
    await files.write('other', 'user.md', 'theirs\n', 'hand_edit');
    await files.write('other', 'user.md', 'theirs, again\n', 'hand_edit');
    await files.write('default', 'user.md', 'mine, again\n', 'hand_edit');
    const mine = await history('user.md');
    const theirs = await history('user.md', 'other');
    assert.deepEqual(
      [mine.map((version) => version.id), theirs.map((version) => version.id)],
      [
        [2, 1],
        [2, 1],
      ],
      "a file counts its own versions: another namespace's writes leave no gap",
    );
    assert.equal((await files.version('default', 'user.md', 1))?.content, 'mine\n');
    assert.equal((await files.version('other', 'user.md', 1))?.content, 'theirs\n');
    assert.equal(await files.version('other', 'user.md', 3), undefined);
    assert.deepEqual(await history('user.md', 'third'), []);
  });

  it('pages from newest to oldest with a cursor', async () => {
    for (let i = 1; i <= 5; i++) await files.write('default', 'log.md', `entry ${i}\n`, 'agent');
    const first = await files.history('default', 'log.md', { limit: 2 });
    const second = await files.history('default', 'log.md', { limit: 2, before: first.next });
    const third = await files.history('default', 'log.md', { limit: 2, before: second.next });
    const ids = [...first.versions, ...second.versions, ...third.versions].map((version) => version.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
    );
    assert.equal(new Set(ids).size, 5);
    assert.equal(third.next, undefined);
    assert.equal(third.versions.length, 1);
  });

  it(`keeps the last ${KEPT_VERSIONS} versions of a file, and other files' versions untouched`, async () => {
    await files.write('default', 'other.md', 'untouched\n', 'agent');
    for (let i = 1; i <= KEPT_VERSIONS + 3; i++) await files.write('default', 'busy.md', `v${i}\n`, 'agent');
    const versions = await history('busy.md');
    assert.equal(versions.length, KEPT_VERSIONS);
    assert.deepEqual([versions[0].id, versions.at(-1)!.id], [KEPT_VERSIONS + 3, 4], 'numbers go on past pruning');
    assert.equal((await files.version('default', 'busy.md', versions.at(-1)!.id))?.content, 'v4\n');
    assert.equal((await files.version('default', 'busy.md', versions[0].id))?.content, `v${KEPT_VERSIONS + 3}\n`);
    assert.equal((await history('other.md')).length, 1);
  });

  it("journals what a workspace saved under the workspace's actor, and nothing for untouched files", async () => {
    await files.write('default', 'keep.md', 'same\n', 'hand_edit');
    await files.write('default', 'gone.md', 'bye\n', 'hand_edit');
    await files.writeRootFile('default', '.filters', '- rule\n');
    const workspace = await files.openWorkspace('default', 'import');
    try {
      writeFileSync(join(workspace.root, 'new.md'), 'hello\n');
      writeFileSync(join(workspace.root, 'keep.md'), readFileSync(join(workspace.root, 'keep.md')));
      rmSync(join(workspace.root, 'gone.md'));
      await workspace.save();
    } finally {
      await workspace.close();
    }
    assert.deepEqual(
      (await history('new.md')).map(({ actor, kind }) => ({ actor, kind })),
      [{ actor: 'import', kind: 'created' }],
    );
    assert.deepEqual(
      (await history('gone.md')).map(({ actor, kind }) => ({ actor, kind })),
      [
        { actor: 'import', kind: 'deleted' },
        { actor: 'hand_edit', kind: 'created' },
      ],
    );
    assert.equal((await history('keep.md')).length, 1);
    assert.deepEqual(await history('.filters').catch((error: Error) => error.constructor.name), 'PathRefused');
  });
}
