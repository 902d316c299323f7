import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Dialog, Page } from 'playwright-core';
import { assertAccessible } from './accessibility';
import { dashboardSession, AUTH } from './dashboard-session';
import { RunningEngram, serviceHelper } from './engram-cli';
import { call } from './process-harness';

const { engramExport, engramExportMemory } = serviceHelper('testing/import-fixtures.js');
const { StoreLocks } = serviceHelper('storage/locks/store-locks.js');
const { SqliteLockRepository } = serviceHelper('storage/locks/sqlite-lock.repository.js');
const { lockFolderOf } = serviceHelper('storage/sqlite/sqlite.stores.js');
const { waitFor } = serviceHelper('testing/wait-for.js');

/** Moves a key's expiry time into the past, as if its days had passed (the api reads it on every request). */
function expireKey(dbPath: string, id: string, at: Date): void {
  const db = new Database(dbPath);
  try {
    db.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?').run(at.getTime(), id);
  } finally {
    db.close();
  }
}

/**
 * The dashboard's backups, imports and keys, on a server and page of their own: with the other panels'
 * cases (dashboard.e2e-spec) one file came close to the runner's 300 s per file on a loaded machine.
 */
describe('the dashboard’s backups, imports and keys in a real browser (chromium, real api process)', () => {
  const session = dashboardSession();
  const { dir, shot, focused, nav, openJobs, jobShown, foreignRequests, urlsWithKey } = session;
  let api: RunningEngram;
  let page: Page;
  before(async () => {
    ({ api, page } = session);
    await session.signIn();
  });
  const backupsDir = () => join(dir, 'data', 'backups');
  /** A backup's staging folder as a crash leaves it: 2 KB of database copy, under the backup's name and reason. */
  const leaveStaging = (time: string, reason: string) => {
    const name = `.staging-backup-${time}-${reason}`;
    mkdirSync(join(backupsDir(), name), { recursive: true });
    writeFileSync(join(backupsDir(), name, 'engram.db'), Buffer.alloc(2048));
    return name;
  };
  /** The locks of the api's store, taken from this process as another process of the deployment takes them. */
  const stagingLocks = () => new StoreLocks(new SqliteLockRepository(lockFolderOf(join(dir, 'engram.db'))));

  it('backs up now, restores a backup after confirmation with progress, reindexes, and keeps the job history', async () => {
    // A job from before the backup, for the history to keep through the restore.
    assert.equal((await call(api.url, 'POST', '/api/conflicts/scan', undefined, AUTH)).status, 202);
    await nav('Jobs & backups').click();
    await jobShown(/Conflict scan.*completed/s);
    await page.getByRole('button', { name: 'Back up now' }).click();
    await jobShown(/Backup.*completed/s);
    const row = page.locator('table.backups tbody tr').first();
    await row.waitFor();
    assert.match(await row.innerText(), /KB[\s\S]*\d+[\s\S]*✓ verified[\s\S]*manual · with memory files/);
    const backupId = await row.getAttribute('data-backup');

    await call(api.url, 'POST', '/api/memories', { content: 'Stored after the backup, gone after the restore' }, AUTH);
    await page.getByRole('button', { name: `Restore ${backupId}` }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Restore this backup?' });
    assert.match(await confirm.innerText(), /kept as a backup first/);
    await assertAccessible(page, 'restore confirmation');
    await confirm.getByRole('button', { name: 'Restore' }).click();
    await jobShown(new RegExp(`Restore.*completed.*Restored ${backupId}`, 's'));
    const after = await call(
      api.url,
      'POST',
      '/api/search',
      { query: 'gone after the restore', mode: 'keyword' },
      AUTH,
    );
    assert.deepEqual(after.body.results, []);

    await page.getByRole('button', { name: 'Reindex…' }).click();
    await page
      .getByRole('alertdialog', { name: 'Reindex every memory?' })
      .getByRole('button', { name: 'Reindex' })
      .click();
    await jobShown(/Reindex.*completed.*memories embedded with openai:dashboard-model/s);
    await jobShown(/Conflict scan.*completed.*\d+ memories? reviewed, \d+ new proposals?/s);
    await assertAccessible(page, 'jobs');
    await shot('12-jobs');
  });

  it('lists a backup whose manifest was damaged as corrupt, with its problem, no Restore button and a Delete one', async () => {
    const listed = await call(api.url, 'GET', '/api/admin/backups', undefined, AUTH);
    const id: string = listed.body.backups.at(-1).backup_id;
    writeFileSync(join(dir, 'data', 'backups', id, 'manifest.json'), '{"id": ');
    await nav('Memories').click();
    await nav('Jobs & backups').click();
    const row = page.locator(`table.backups tbody tr[data-backup="${id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /corrupt[\s\S]*manifest\.json is not valid JSON[\s\S]*cannot be restored/);
    assert.deepEqual(await row.getByRole('button').allInnerTexts(), ['Delete…']);
    await assertAccessible(page, 'a corrupt backup');
  });

  it('lists what a crash left of a backup as incomplete, with its name and what it may hold', async () => {
    const name = leaveStaging('20260101T000000000Z', 'pre-restore'); // a restore's backup cut short by a crash
    await openJobs();
    const row = page.locator(`table.backups tbody tr[data-incomplete="${name}"]`);
    await row.waitFor();
    assert.match(
      await row.innerText(),
      /2\.0 KB[\s\S]*incomplete[\s\S]*pre-restore backup cut short: it may hold the only copy/,
    );
    assert.deepEqual(await row.getByRole('button').allInnerTexts(), ['Delete…']);
    await assertAccessible(page, 'an incomplete backup');
  });

  it('deletes an incomplete backup after a confirmation saying it may hold the only copy; Cancel keeps it', async () => {
    const name = '.staging-backup-20260101T000000000Z-pre-restore'; // listed by the test before
    const row = page.locator(`table.backups tbody tr[data-incomplete="${name}"]`);
    await page.getByRole('button', { name: `Delete ${name}` }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete this incomplete backup?' });
    const text = await confirm.innerText();
    assert.ok(text.includes(`${name}: 2.0 KB`), text);
    assert.match(text, /may hold the only copy of the state a restore replaced/);
    assert.equal(await focused(), 'Cancel');
    await assertAccessible(page, 'delete an incomplete backup');
    await shot('22-delete-incomplete');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.ok(existsSync(join(backupsDir(), name)), 'kept on Cancel');
    assert.equal(await row.count(), 1);

    await page.getByRole('button', { name: `Delete ${name}` }).click();
    await confirm.getByRole('button', { name: 'Delete for good' }).click();
    await confirm.waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached' });
    assert.equal(existsSync(join(backupsDir(), name)), false);
    await page
      .getByRole('status')
      .filter({ hasText: `Deleted ${name} (2.0 KB).` })
      .waitFor();
    const listed = await call(api.url, 'GET', '/api/admin/backups', undefined, AUTH);
    assert.equal(listed.body.incomplete_count, 0);

    const manual = leaveStaging('20260102T000000000Z', 'manual');
    await openJobs();
    await page.getByRole('button', { name: `Delete ${manual}` }).click();
    const manualText = await confirm.innerText();
    assert.match(manualText, /What it holds is lost: a manual backup cut short/);
    assert.doesNotMatch(manualText, /only copy/);
    await confirm.getByRole('button', { name: 'Delete for good' }).click();
    await page.locator(`table.backups tbody tr[data-incomplete="${manual}"]`).waitFor({ state: 'detached' });
    assert.equal(existsSync(join(backupsDir(), manual)), false);
  });

  it('deletes a backup after a confirmation saying what can no longer be restored; Cancel keeps it', async () => {
    const taken = await call(api.url, 'POST', '/api/backup/now', undefined, AUTH);
    assert.equal(taken.body.success, true, JSON.stringify(taken.body));
    const id: string = taken.body.backup_id;
    await openJobs();
    const row = page.locator(`table.backups tbody tr[data-backup="${id}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: `Delete ${id}` }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete this backup?' });
    const text = await confirm.innerText();
    assert.match(text, /\d+ memories[\s\S]*Its \d+ memories and its memory files as of then can no longer be restored/);
    assert.doesNotMatch(text, /only backup/, 'the restore’s pre-restore backup can be restored too');
    await assertAccessible(page, 'delete a backup');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.ok(existsSync(join(backupsDir(), id)), 'kept on Cancel');

    await row.getByRole('button', { name: `Delete ${id}` }).click();
    await confirm.getByRole('button', { name: 'Delete for good' }).click();
    await row.waitFor({ state: 'detached' });
    const listed = await call(api.url, 'GET', '/api/admin/backups', undefined, AUTH);
    assert.equal(
      listed.body.backups.some((backup: { backup_id: string }) => backup.backup_id === id),
      false,
    );
    assert.equal(existsSync(join(backupsDir(), id)), false);

    // Left: the restore's pre-restore backup, the only one that can be restored (the first was damaged above).
    const restorable = listed.body.backups.filter((backup: { state: string }) => backup.state === 'ok');
    assert.equal(restorable.length, 1);
    await page.getByRole('button', { name: `Delete ${restorable[0].backup_id}` }).click();
    assert.match(await confirm.innerText(), /It is the only backup that can be restored\./);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
  });

  it('shows the api’s refusal in the confirmation: 409 for a staging folder a backup writes now, 404 for one gone', async () => {
    const written = leaveStaging('20260103T000000000Z', 'manual');
    const gone = leaveStaging('20260104T000000000Z', 'manual');
    await openJobs();
    await page.locator(`table.backups tbody tr[data-incomplete="${written}"]`).waitFor();
    await page.locator(`table.backups tbody tr[data-incomplete="${gone}"]`).waitFor();
    // Another process starts writing it, as a backup does: it holds the folder's own lock.
    let finish!: () => void;
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const writer = stagingLocks().writeStaging(written.slice(9, 35), () => {
      holding();
      return new Promise<void>((resolve) => (finish = resolve));
    });
    await held;
    const confirm = page.getByRole('alertdialog', { name: 'Delete this incomplete backup?' });
    try {
      await page.getByRole('button', { name: `Delete ${written}` }).click();
      await confirm.getByRole('button', { name: 'Delete for good' }).click();
      await confirm
        .getByRole('alert')
        .filter({ hasText: `Not deleted: ${written} is the staging folder of a backup being written now` })
        .waitFor();
      assert.ok(existsSync(join(backupsDir(), written)));
      // Read again: a folder being written is not listed.
      await page.locator(`table.backups tbody tr[data-incomplete="${written}"]`).waitFor({ state: 'detached' });
      await assertAccessible(page, 'a refused deletion');
      await shot('23-delete-refused');
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'detached' });
    } finally {
      finish();
      await writer;
    }

    rmSync(join(backupsDir(), gone), { recursive: true });
    await page.getByRole('button', { name: `Delete ${gone}` }).click();
    await confirm.getByRole('button', { name: 'Delete for good' }).click();
    await confirm
      .getByRole('alert')
      .filter({ hasText: `Not deleted: No backup or incomplete backup named ${gone}` })
      .waitFor();
    await page.locator(`table.backups tbody tr[data-incomplete="${gone}"]`).waitFor({ state: 'detached' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    rmSync(join(backupsDir(), written), { recursive: true });
  });

  it('imports a file from the form (checkbox and summary laid out) and lists it in the import history', async () => {
    const form = page.locator('.import-form');
    const checkbox = form.getByLabel('Dry run (write nothing)');
    const box = await checkbox.boundingBox();
    assert.ok(box && box.width < 30, `the checkbox is ${box?.width} px wide`);
    await form.getByLabel('File', { exact: true }).setInputFiles({
      name: 'garden.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Garden\n\nTomatoes go in after the last frost.\n'),
    });
    await form.getByRole('button', { name: 'Import' }).click();
    const summary = page.locator('.import-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /Read\s+1 document, 1 memory\s+Stored\s+1/);
    await page.locator('.import-history li', { hasText: '1 stored' }).waitFor();
    await assertAccessible(page, 'import');
    await shot('13-import');
  });

  it('lists a failed import under the source its file was read as, or “Unknown source”, with the reason (never “auto”)', async () => {
    const form = page.locator('.import-form');
    const importFile = async (name: string, buffer: Buffer) => {
      await form
        .getByLabel('File', { exact: true })
        .setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
      await form.getByRole('button', { name: 'Import' }).click();
      await page.locator('.import-job', { hasText: /: failed/ }).waitFor();
    };
    const future = engramExport([engramExportMemory('From a later build')], '{"format":"engram-export","version":99}');
    await importFile('future.ndjson', Buffer.from(future));
    assert.match(await page.locator('.import-job').innerText(), /\(Engram export \(NDJSON\)\): failed/);
    const read = page.locator('.import-history li', { hasText: 'future.ndjson: not an Engram export' });
    await read.waitFor();
    assert.match(await read.innerText(), /failed\s+Engram export \(NDJSON\)/);

    await importFile('blob.bin', Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0]));
    const unknown = page.locator('.import-history li', {
      hasText: 'blob.bin: cannot tell what kind of export this is',
    });
    await unknown.waitFor();
    assert.match(await unknown.innerText(), /failed\s+Unknown source/);
    assert.deepEqual(
      (await page.locator('.import-history li .source').allInnerTexts()).filter((text) => /auto/i.test(text)),
      [],
    );
    await assertAccessible(page, 'import history with failures');
  });

  it('creates an API key (secret shown once), lists it and revokes it', async () => {
    await nav('Access').click();
    await page.getByLabel('Name', { exact: true }).fill('ci pipeline');
    await page.getByLabel('write').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.locator('.created-key .secret').innerText();
    assert.match(secret, /^egk_/);
    const entry = page.locator('.key-list li', { hasText: 'ci pipeline' });
    await entry.waitFor();
    assert.match(await entry.innerText(), /read[\s\S]*write/);
    assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'X-API-Key': secret })).status, 200);
    await assertAccessible(page, 'access');
    await shot('9-access');
    const nativeDialogs: string[] = [];
    const recordNative = (dialog: Dialog) => {
      nativeDialogs.push(dialog.message());
      void dialog.dismiss();
    };
    page.on('dialog', recordNative);
    try {
      const revoke = entry.getByRole('button', { name: 'Revoke ci pipeline' });
      const confirm = page.getByRole('alertdialog', { name: 'Revoke this key?' });
      await revoke.click();
      await confirm.waitFor();
      assert.match(await confirm.innerText(), /ci pipeline \(egk_[\s\S]*stop working at once/);
      assert.equal(await focused(), 'Cancel', 'Cancel has the focus, so Enter never revokes by accident');
      await assertAccessible(page, 'revoke confirmation');
      for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
        await page.keyboard.press(key);
        const inDialog = await page.evaluate("document.activeElement?.closest('[role=alertdialog]') != null");
        assert.ok(inDialog, `${key} keeps the focus in the dialog, not on ${await focused()}`);
      }
      await page.keyboard.press('Escape');
      await confirm.waitFor({ state: 'detached' });
      assert.equal(await focused(), 'Revoke ci pipeline', 'Escape returns the focus to the Revoke button');
      assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'X-API-Key': secret })).status, 200);

      await revoke.click();
      await confirm.getByRole('button', { name: 'Revoke' }).click();
      await confirm.waitFor({ state: 'detached' });
      await entry.locator('.revoked').waitFor();
      // The Revoke button went with the key's revocation: the focus goes to the view's heading, not to the page.
      await page
        .waitForFunction("document.activeElement?.id === 'access-title'", undefined, { timeout: 5000 })
        .catch(async () =>
          assert.fail(`the focus is on ${await page.evaluate('document.activeElement?.outerHTML.slice(0, 80)')}`),
        );
      assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'X-API-Key': secret })).status, 401);
      assert.deepEqual(nativeDialogs, [], 'no browser confirm()');
    } finally {
      page.off('dialog', recordNative);
    }
  });

  it('makes one key, and shows its secret, when Create key is pressed again before the server answers', async () => {
    // The server's answer is held until the second press and the Enter have been given their chance.
    const creations: string[] = [];
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    await page.route('**/api/admin/keys', async (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      creations.push(route.request().postData() ?? '');
      await answered;
      await route.fallback();
    });
    try {
      await nav('Overview').click();
      await nav('Access').click();
      const name = page.getByLabel('Name', { exact: true });
      await name.fill('pressed twice');
      const create = page.getByRole('button', { name: 'Create key' });
      await create.click();
      await waitFor(async () => creations.length === 1, 'the first creation to reach the server');
      await create.dispatchEvent('click'); // as an impatient second click lands, enabled or not
      await name.press('Enter');
      answer();
      const secret = await page.locator('.created-key .secret').innerText();
      await page.locator('.key-list li', { hasText: 'pressed twice' }).first().waitFor();
      await create.waitFor({ state: 'visible' });
      assert.ok(await create.isEnabled(), 'Create key is offered again once the key is made');
      assert.equal(creations.length, 1, 'one creation sent');
      const keys = (await call(api.url, 'GET', '/api/admin/keys', undefined, AUTH)).body.keys;
      const made = keys.filter((key: { name: string }) => key.name === 'pressed twice');
      assert.equal(made.length, 1, 'one key made');
      assert.ok(secret.startsWith(made[0].prefix), 'the secret shown is that key’s');
    } finally {
      await page.unroute('**/api/admin/keys');
    }
  });

  it('shows when each key expires, and an expired key as expired, apart from a revoked one', async () => {
    const create = (name: string, days: number) =>
      call(api.url, 'POST', '/api/admin/keys', { name, scopes: ['read'], expires_in_days: days }, AUTH);
    const nightly = (await create('nightly export', 30)).body;
    const laptop = (await create('old laptop', 1)).body;
    const expiredAt = new Date(Date.now() - 60_000);
    expireKey(join(dir, 'engram.db'), laptop.id, expiredAt);
    assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'X-API-Key': laptop.key })).status, 401);
    await nav('Overview').click();
    await nav('Access').click();
    const entry = (name: string) => page.locator('.key-list li', { hasText: name });
    const shown = (iso: string) =>
      page.evaluate<string>(
        `new Date(${JSON.stringify(iso)}).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })`,
      );

    await entry('old laptop').locator('.expired', { hasText: 'expired' }).waitFor();
    assert.ok((await entry('old laptop').innerText()).includes(`expired ${await shown(expiredAt.toISOString())}`));
    assert.equal(await entry('old laptop').locator('.revoked').count(), 0, 'expired, not revoked');
    assert.ok((await entry('nightly export').innerText()).includes(`expires ${await shown(nightly.expires_at)}`));
    assert.equal(await entry('nightly export').locator('.expired').count(), 0);
    const revoked = entry('ci pipeline');
    assert.match(await revoked.innerText(), /no expiry/);
    assert.equal(await revoked.locator('.expired').count(), 0, 'revoked, not expired');
    await revoked.locator('.revoked').waitFor();
    await assertAccessible(page, 'access (expiry)');
  });

  it('keeps every request of these panels on the server (no CDN) and never puts the key in a URL', () => {
    assert.ok(session.requested.length > 0, 'the page was recorded');
    assert.deepEqual(foreignRequests(), []);
    assert.deepEqual(urlsWithKey(), []);
  });
});
