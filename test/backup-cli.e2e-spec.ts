import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliStore, DIST, openCliStore, runEngramOnTerminal, serviceHelper } from './engram-cli';
import { inheritedEnv } from './process-harness';

/**
 * Runs `engram backup` while an agent run (as far as the locks tell) writes the memory directory, so the
 * backup waits at its archive step with its database copy staged, and kills it there with SIGKILL: a crash
 * mid-backup. Resolves with the signal the process ended by.
 */
async function killBackupMidWay(store: CliStore): Promise<NodeJS.Signals | null> {
  const { SqliteLockRepository } = serviceHelper('storage/locks/sqlite-lock.repository.js');
  const { lockFolderOf } = serviceHelper('storage/sqlite/sqlite.stores.js');
  const agentRun = await new SqliteLockRepository(lockFolderOf(store.env.MCP_MEMORY_SQLITE_PATH)).tryAcquire(
    'memory-dir',
    'shared',
  );
  try {
    const backup = spawn(process.execPath, [join(DIST, 'cli', 'engram.js'), 'backup'], {
      cwd: store.dir,
      env: { ...inheritedEnv(), HOME: store.dir, ...store.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    backup.stderr!.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('waiting for agent runs and imports writing the memory directory')) backup.kill('SIGKILL');
    });
    const [, signal] = await once(backup, 'exit');
    assert.equal(signal, 'SIGKILL', `engram backup ended by itself: ${stderr}`);
    return signal as NodeJS.Signals;
  } finally {
    await agentRun.release();
  }
}

/** Makes a folder and what is in it look untouched for `ms`, as when the crash was that long ago. */
function untouchedFor(path: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  for (const name of readdirSync(path)) utimesSync(join(path, name), then, then);
  utimesSync(path, then, then);
}

describe('engram restore --list and a corrupt backup (a real SQLite file)', () => {
  let store: CliStore;
  before(async () => {
    store = await openCliStore('cli-backup-model');
  });
  after(() => store?.close());

  it('lists a backup whose manifest is damaged as corrupt with its problem, and refuses to restore it', async () => {
    assert.equal((await store.engram(['store', 'the boiler is serviced in October'])).code, 0);
    const backup = await store.engram(['backup', '--json']);
    assert.equal(backup.code, 0, backup.stderr);
    const id: string = JSON.parse(backup.stdout).backup_id;
    const manifest = join(store.dir, 'data', 'backups', id, 'manifest.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').slice(0, 40));

    const listed = await store.engram(['restore', '--list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^BACKUP +CREATED +REASON +MEMORIES +SIZE +STATE\n/);
    assert.match(listed.stdout, new RegExp(`\\n${id} .* - +- +\\d.* corrupt: manifest\\.json is not valid JSON`));
    const json = JSON.parse((await store.engram(['restore', '--list', '--json'])).stdout);
    assert.equal(json.backups[0].state, 'corrupt');

    const restore = await store.engram(['restore', id, '--yes']);
    assert.equal(restore.code, 65, restore.stderr);
    assert.match(
      restore.stderr,
      new RegExp(`^engram restore: Backup ${id} is corrupt and will not be restored: manifest\\.json[^\\n]*\\n$`),
      'refused in one line before any job is queued',
    );
    const unknown = await store.engram(['restore', 'backup-20000101T000000000Z', '--yes']);
    assert.equal(unknown.code, 66, unknown.stderr);
    assert.equal(unknown.stderr, 'engram restore: No backup with id backup-20000101T000000000Z\n');
  });
});

describe('a backup killed part-way (a real SQLite file, SIGKILL)', () => {
  let store: CliStore;
  before(async () => {
    store = await openCliStore('cli-backup-crash-model');
  });
  after(() => store?.close());

  const incomplete = async () => {
    const listed = await store.engram(['restore', '--list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout).incomplete as any[];
  };

  it('leaves its staging folder listed as incomplete; a later backup removes it once untouched for 15 minutes', async () => {
    assert.equal((await store.engram(['store', 'the gutters are cleared in November'])).code, 0);
    await killBackupMidWay(store);

    const [left, ...more] = await incomplete();
    assert.deepEqual(more, []);
    assert.match(left.name, /^\.staging-backup-\d{8}T\d{9}Z-manual$/);
    assert.equal(left.path, join(store.dir, 'data', 'backups', left.name));
    assert.deepEqual([left.kind, left.reason, left.may_hold_only_copy], ['staging', 'manual', false]);
    assert.ok(existsSync(join(left.path, 'engram.db')), 'the database copy it had staged');
    assert.ok(left.size_bytes > 0);
    const table = await store.engram(['restore', '--list']);
    assert.match(
      table.stdout,
      new RegExp(`\\n\\${left.name} .* manual +- +\\d.* incomplete staging: a manual backup cut short`),
    );

    // Written a moment ago, it may be a backup under way elsewhere for all a later backup knows: it stays.
    assert.equal((await store.engram(['backup'])).code, 0);
    assert.deepEqual(
      (await incomplete()).map((entry) => entry.name),
      [left.name],
    );
    untouchedFor(left.path, 60 * 60 * 1000);
    const next = await store.engram(['backup']);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(await incomplete(), []);
    assert.equal(existsSync(left.path), false);
  });

  it('engram backup delete removes an incomplete backup after asking (--yes without a terminal)', async () => {
    await killBackupMidWay(store);
    const [left] = await incomplete();

    const unasked = await store.engram(['backup', 'delete', left.name]);
    assert.equal(unasked.code, 64, unasked.stderr);
    assert.match(unasked.stderr, /stdin is not a terminal: add --yes/);
    const declined = await runEngramOnTerminal(['backup', 'delete', left.name], store.env, store.dir, (shown) =>
      shown.includes('[y/N]') ? 'n\r' : undefined,
    );
    assert.equal(declined.code, 1, declined.shown);
    assert.match(declined.shown, /Delete .*\.staging-backup-.* a manual backup cut short.*\[y\/N\]/s);
    assert.ok(existsSync(left.path), 'nothing deleted on no');

    const deleted = await store.engram(['backup', 'delete', left.name, '--yes']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, new RegExp(`^deleted \\${left.name} \\(`));
    assert.equal(existsSync(left.path), false);
    assert.deepEqual(await incomplete(), []);
    const again = await store.engram(['backup', 'delete', left.name, '--yes']);
    assert.equal(again.code, 66, again.stderr);
  });
});
