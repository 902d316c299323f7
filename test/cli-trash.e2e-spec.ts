import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { e2eStorages, memoryRowsIn, startCliStorage } from './e2e-storage';
import {
  CliStore,
  openCliStore,
  runEngram,
  runEngramOnTerminal,
  RunningEngram,
  serviceHelper,
  startEngram,
} from './engram-cli';
import { tempDir } from './process-harness';

const { contentHash } = serviceHelper('memories/content-hash.js');

// Two texts whose hashes share their first 8 characters (42f58c3e), found by a birthday search.
const TWINS = ['note 53529', 'note 75183'];
/** A trash entry as `engram trash list` prints it: deletion time, type, tags and short hash, then the text. */
const ENTRY = /^deleted \d{4}-\d\d-\d\d \d\d:\d\d {2}note {2}([0-9a-f]{12})\n {4}(.*)$/gm;
/** Who the commands act as: the database file's owner. */
const LOCAL = { kind: 'local', id: 'local', name: null };

for (const storage of e2eStorages()) {
  describe(`engram trash: list, show, restore and purge (${storage.name})`, () => {
    let store: CliStore;
    let env: Record<string, string>;
    // The api on the same store: what the commands did is checked through REST, and the test data made there.
    let api: RunningEngram;
    const engram = (args: string[]) => runEngram(args, env, store.dir);
    let rowsOf: (text: string) => Promise<{ deleted: boolean }[]>;

    async function rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    }

    /** The audit log's entries of `action` on `hash`, newest first (keyless, the api's caller is an admin). */
    async function audited(action: string, hash: string): Promise<any[]> {
      const log = await rest('GET', `/api/admin/audit?action=${action}&limit=500`);
      assert.equal(log.status, 200);
      return log.body.events.filter((entry: { target: string }) => entry.target === hash);
    }

    /** Stores each text through the api, then deletes each to the trash, in order. */
    async function storeAndDelete(texts: string[], tags: string[] = []): Promise<void> {
      for (const content of texts) assert.equal((await rest('POST', '/api/memories', { content, tags })).status, 201);
      for (const text of texts) assert.equal((await rest('DELETE', `/api/memories/${contentHash(text)}`)).status, 200);
    }

    before(async () => {
      store = await openCliStore('cli-trash-model');
      env = await startCliStorage(storage, store);
      api = await startEngram('serve', env, store.dir, 'Engram ready');
      rowsOf = memoryRowsIn(env);
    });
    after(async () => {
      await api?.stop();
      await storage.stop();
      await store?.close();
    });

    it('lists the trash, most recently deleted first, a page at a time, as GET /api/memories/trash does', async () => {
      const texts = ['the shed key is under the pot', 'the bins go out on Tuesday', 'the wifi password changed'];
      await storeAndDelete(texts);
      assert.equal((await rest('POST', '/api/memories', { content: 'the boiler is serviced in October' })).status, 201);
      const [newest, middle, oldest] = [...texts].reverse();

      const firstPage = await engram(['trash', 'list', '--page-size', '2']);
      assert.equal(firstPage.code, 0, firstPage.stderr);
      assert.deepEqual(
        [...firstPage.stdout.matchAll(ENTRY)].map(([, hash, text]) => [hash, text]),
        [newest, middle].map((text) => [contentHash(text).slice(0, 12), text]),
        firstPage.stdout,
      );
      const cursor = /^page 1 of 2, 3 in the trash; next: --cursor (\S+)\n$/.exec(firstPage.stderr)?.[1];
      assert.ok(cursor, firstPage.stderr);
      const nextPage = await engram(['trash', 'list', '--page-size', '2', '--cursor', cursor]);
      assert.equal(nextPage.code, 0, nextPage.stderr);
      assert.deepEqual(
        [...nextPage.stdout.matchAll(ENTRY)].map(([, , text]) => text),
        [oldest],
      );
      assert.equal(nextPage.stderr, 'after the cursor, 3 in the trash\n');

      const json = await engram(['trash', 'list', '--json']);
      assert.equal(json.code, 0, json.stderr);
      const view = JSON.parse(json.stdout);
      assert.deepEqual(view, (await rest('GET', '/api/memories/trash')).body);
      assert.deepEqual(
        view.memories.map((memory: { content: string }) => memory.content),
        [newest, middle, oldest],
      );
      assert.equal(view.total, 3);
    });

    it('shows a memory in the trash by the start of its hash, and finds no live memory there', async () => {
      const text = 'the spare tyre is flat';
      await storeAndDelete([text], ['car']);
      const hash = contentHash(text);

      const shown = await engram(['trash', 'show', hash.slice(0, 12)]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, new RegExp(`^content_hash {2}${hash}\ntype {10}note\ntags {10}car\n`));
      assert.match(shown.stdout, /\ndeleted {7}\d{4}-\d\d-\d\dT[\d:.]+Z\n/);
      assert.match(shown.stdout, /\n\nthe spare tyre is flat\n$/);
      const json = await engram(['trash', 'show', hash.toUpperCase(), '--json']);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), (await rest('GET', `/api/memories/trash/${hash}`)).body);

      const live = contentHash('the boiler is serviced in October').slice(0, 8);
      const notThere = await engram(['trash', 'show', live]);
      assert.equal(notThere.code, 66);
      assert.equal(
        notThere.stderr,
        `engram trash show: no memory in the trash with a hash starting ${live} in namespace default\n`,
      );
    });

    it('restores a memory: live, re-embedded and found by the api again, out of the trash', async () => {
      const text = 'the dentist moved to Harbour Street';
      await storeAndDelete([text], ['health']);
      const hash = contentHash(text);
      const trashBefore = (await rest('GET', '/api/memories/trash')).body.total;

      const restored = await engram(['trash', 'restore', hash.slice(0, 10)]);
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal(restored.stdout, `restored ${hash} (note, tags health)\n`);
      assert.deepEqual(await rowsOf(text), [{ deleted: false }]);
      const got = await rest('GET', `/api/memories/${hash}`);
      assert.deepEqual([got.status, got.body.tags], [200, ['health']]);
      const found = await rest('POST', '/api/search', { query: text, mode: 'semantic', limit: 1 });
      assert.equal(found.body.results[0]?.memory.content_hash, hash, 'its vector is back');
      assert.equal((await rest('GET', '/api/memories/trash')).body.total, trashBefore - 1);
      assert.equal((await rest('GET', `/api/memories/trash/${hash}`)).status, 404);
      const [entry, ...more] = await audited('memories.restore', hash);
      assert.deepEqual(more, [], 'one entry for one restore');
      assert.deepEqual(
        [entry.outcome, entry.principal, entry.namespace, entry.client_address],
        ['success', LOCAL, 'default', 'local'],
      );

      // As JSON, what POST /api/memories/:hash/restore answers.
      const other = 'the dentist is closed on Fridays';
      await storeAndDelete([other]);
      const json = JSON.parse((await engram(['trash', 'restore', contentHash(other), '--json'])).stdout);
      assert.deepEqual(
        [json.success, json.message, json.content_hash, json.memory.content],
        [true, 'Memory restored', contentHash(other), other],
      );
      assert.equal((await rest('GET', `/api/memories/${contentHash(other)}`)).status, 200);
    });

    it('refuses to restore a text stored again since (exit 1) and changes nothing', async () => {
      const text = 'the fuse box is in the hall';
      await storeAndDelete([text]);
      assert.equal((await rest('POST', '/api/memories', { content: text })).status, 201);
      const refused = await engram(['trash', 'restore', contentHash(text).slice(0, 12)]);
      assert.equal(refused.code, 1);
      assert.equal(refused.stdout, '');
      assert.equal(
        refused.stderr,
        'engram trash restore: A live memory already has this content; it was not restored\n',
      );
      assert.deepEqual((await rowsOf(text)).map((row) => row.deleted).sort(), [false, true]);
      assert.deepEqual(await audited('memories.restore', contentHash(text)), [], 'a refused restore is not audited');
    });

    it('purges a memory for good with --yes: every deletion of its text, audited', async () => {
      const text = 'the old alarm code was 4321';
      await storeAndDelete([text]);
      await storeAndDelete([text]);
      assert.equal((await rowsOf(text)).length, 2);
      const purged = await engram(['trash', 'purge', contentHash(text).slice(0, 12), '--yes']);
      assert.equal(purged.code, 0, purged.stderr);
      assert.equal(purged.stdout, `deleted ${contentHash(text)} (note) for good\n`);
      assert.deepEqual(await rowsOf(text), []);
      assert.equal((await rest('GET', `/api/memories/trash/${contentHash(text)}`)).status, 404);
      const [entry, ...more] = await audited('memories.purge', contentHash(text));
      assert.deepEqual(more, [], 'one entry for one purge');
      assert.deepEqual(
        [entry.outcome, entry.principal, entry.namespace, entry.details],
        ['success', LOCAL, 'default', { deletions: 2 }],
      );

      // As JSON, what DELETE /api/memories/trash/:hash answers.
      const other = 'the old gate code was 1234';
      await storeAndDelete([other]);
      const json = JSON.parse((await engram(['trash', 'purge', contentHash(other), '--json', '--yes'])).stdout);
      assert.deepEqual(json, { success: true, message: 'Memory deleted for good', content_hash: contentHash(other) });
      assert.deepEqual(await rowsOf(other), []);
    });

    it('asks before it purges on a terminal: only y or yes goes ahead', async () => {
      const text = 'the safe combination is 31-7-12';
      await storeAndDelete([text], ['home']);
      const hash = contentHash(text);
      const question = `Purge ${hash.slice(0, 12)} "${text}" (note, tags home) from namespace default for good? [y/N] `;
      const answering = (keys: string) => (shown: string) => (shown.includes(question) ? keys : undefined);

      // Enter takes the default, no; Ctrl-C answers no rather than leaving the command waiting.
      for (const no of ['\r', '\x03']) {
        const declined = await runEngramOnTerminal(
          ['trash', 'purge', hash.slice(0, 12)],
          env,
          store.dir,
          answering(no),
        );
        assert.equal(declined.code, 1, declined.shown);
        assert.match(declined.shown, /engram trash purge: not confirmed; nothing changed\r?\n/);
        assert.doesNotMatch(declined.shown, /for good\r?\n/);
      }
      assert.deepEqual(await rowsOf(text), [{ deleted: true }]);
      assert.deepEqual(await audited('memories.purge', hash), []);

      const confirmed = await runEngramOnTerminal(
        ['trash', 'purge', hash.slice(0, 12)],
        env,
        store.dir,
        answering('yes\r'),
      );
      assert.equal(confirmed.code, 0, confirmed.shown);
      assert.match(confirmed.shown, new RegExp(`deleted ${hash} \\(note, tags home\\) for good\r?\n`));
      assert.deepEqual(await rowsOf(text), []);
      assert.equal((await audited('memories.purge', hash)).length, 1);
    });

    it('refuses a start several hashes in the trash share (65, listing them) and changes nothing', async () => {
      await storeAndDelete(TWINS);
      const [first, second] = TWINS.map((text) => contentHash(text)).sort();
      for (const action of ['show', 'restore', 'purge']) {
        const run = await engram(['trash', action, first.slice(0, 8), ...(action === 'purge' ? ['--yes'] : [])]);
        assert.equal(run.code, 65, run.stderr);
        assert.equal(run.stdout, '');
        const lines = run.stderr.split('\n');
        assert.equal(
          lines[0],
          `engram trash ${action}: ${first.slice(0, 8)} starts the hash of several memories in the trash; give more of it:`,
        );
        assert.deepEqual(
          lines.slice(1, 3).map((line) => line.trim().split(/ {2}/)[0]),
          [first, second],
        );
      }
      for (const text of TWINS) assert.deepEqual(await rowsOf(text), [{ deleted: true }]);
    });
  });
}

describe('engram trash: bad arguments', () => {
  it('are refused with the usage (64), before any store is opened', async () => {
    const dir = tempDir();
    const cases = [
      [['trash'], 'engram trash: say what to do: list, show, restore or purge'],
      [['trash', 'empty'], 'engram trash: cannot "empty": list, show, restore or purge'],
      [['trash', '--not-a-flag'], 'engram trash: unknown option --not-a-flag; accepted: --namespace, --json, --page'],
      [['trash', 'show'], 'engram trash show: <hash> is required'],
      [['trash', 'restore', '42f58c3'], 'engram trash restore: <hash>: must be 8 to 64 hexadecimal characters'],
      [['trash', 'purge', '42f58c3e', '42f58c3f'], 'engram trash purge: one <hash> only'],
      // No terminal to ask on (stdin is /dev/null here), so a purge without --yes goes no further.
      [
        ['trash', 'purge', '42f58c3e'],
        'engram trash purge: asks before it deletes for good, and stdin is not a terminal: add --yes to go ahead without asking\n',
      ],
      [['trash', 'show', '42f58c3e', '--page', '2'], 'engram trash show: unknown option --page'],
      [['trash', 'list', 'everything'], 'engram trash list: unexpected "everything"'],
      [['trash', 'list', '--yes'], 'engram trash list: unknown option --yes'],
      [['trash', 'list', '--page-size', '101'], 'engram trash list: --page-size: '],
    ] as const;
    try {
      for (const [args, problem] of cases) {
        const run = await runEngram([...args], { MCP_MEMORY_SQLITE_PATH: `${dir}/none.db` }, dir);
        assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
        assert.ok(run.stderr.startsWith(problem), run.stderr);
        assert.match(run.stderr, /\nusage:\n {2}engram trash list /);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
