import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliStore, openCliStore } from './engram-cli';

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
