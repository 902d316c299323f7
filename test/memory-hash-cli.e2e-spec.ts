import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { e2eStorages, memoryRowsIn, startCliStorage } from './e2e-storage';
import { CliStore, openCliStore, runEngram, runEngramOnTerminal, serviceHelper } from './engram-cli';

const { contentHash } = serviceHelper('memories/content-hash.js');

// Two texts whose hashes share their first 8 characters (42f58c3e), found by a birthday search.
const TWINS = ['note 53529', 'note 75183'];

for (const storage of e2eStorages()) {
  describe(`engram get and delete by a hash or its start (${storage.name})`, () => {
    let store: CliStore;
    let env: Record<string, string>;
    const engram = (args: string[]) => runEngram(args, env, store.dir);
    /** Each row holding the text, live or in the trash, as the database has it. */
    let rowsOf: (text: string) => Promise<{ deleted: boolean }[]>;

    /** The audit log's memories.delete entries on the memory holding `text`, as `engram audit --json` reads them. */
    async function deletesOf(text: string): Promise<any[]> {
      const log = await engram(['audit', '--action', 'memories.delete', '--limit', '500', '--json']);
      assert.equal(log.code, 0, log.stderr);
      return JSON.parse(log.stdout).events.filter((entry: { target: string }) => entry.target === contentHash(text));
    }

    before(async () => {
      store = await openCliStore('cli-hash-model');
      env = await startCliStorage(storage, store);
      rowsOf = memoryRowsIn(env);
    });
    after(async () => {
      await storage.stop();
      await store?.close();
    });

    it('prints the memory a hash from `engram list` names, for people and as JSON', async () => {
      const stored = await engram(['store', 'the boiler is serviced in October', '--tags', 'home,boiler']);
      assert.equal(stored.code, 0, stored.stderr);
      const hash = contentHash('the boiler is serviced in October');
      const listed = await engram(['list']);
      const short = / {2}([0-9a-f]{12})\n {4}the boiler/.exec(listed.stdout)?.[1];
      assert.equal(short, hash.slice(0, 12), listed.stdout);

      const shown = await engram(['get', short!]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, new RegExp(`^content_hash {2}${hash}\ntype {10}note\ntags {10}boiler, home\n`));
      assert.match(shown.stdout, /\ncreated {7}\d{4}-\d\d-\d\dT[\d:.]+Z\nupdated {7}\d{4}-/);
      assert.match(shown.stdout, /\nmetadata {6}\{.*\}\n\nthe boiler is serviced in October\n$/);
      for (const given of [hash, hash.slice(0, 8), hash.toUpperCase()]) {
        const json = await engram(['get', given, '--json']);
        assert.equal(json.code, 0, json.stderr);
        const view = JSON.parse(json.stdout);
        assert.deepEqual(
          [view.content_hash, view.content, view.tags, view.memory_type],
          [hash, 'the boiler is serviced in October', ['boiler', 'home'], 'note'],
        );
      }
      // Namespaces apart: the default namespace's memory is not another's.
      const elsewhere = await engram(['get', short!, '--namespace', 'work']);
      assert.equal(elsewhere.code, 66);
      assert.equal(elsewhere.stderr, `engram get: no memory with a hash starting ${short} in namespace work\n`);
    });

    it('deletes to the trash by default and for good with --hard, by a unique start of the hash', async () => {
      for (const text of ['the gate code changed', 'the car needs new tyres']) {
        assert.equal((await engram(['store', text])).code, 0);
      }
      const soft = await engram(['delete', contentHash('the gate code changed').slice(0, 12)]);
      assert.equal(soft.code, 0, soft.stderr);
      assert.equal(soft.stdout, `deleted ${contentHash('the gate code changed')} (note) to the trash\n`);
      assert.deepEqual(await rowsOf('the gate code changed'), [{ deleted: true }]);

      const hard = await engram([
        'delete',
        contentHash('the car needs new tyres').slice(0, 9),
        '--hard',
        '--yes',
        '--json',
      ]);
      assert.equal(hard.code, 0, hard.stderr);
      assert.deepEqual(JSON.parse(hard.stdout), {
        success: true,
        message: 'Memory deleted for good',
        content_hash: contentHash('the car needs new tyres'),
      });
      assert.deepEqual(await rowsOf('the car needs new tyres'), []);

      // One entry for each, by the database file's owner, with hard only for the delete for good.
      const local = { kind: 'local', id: 'local', name: null };
      const entries = [...(await deletesOf('the gate code changed')), ...(await deletesOf('the car needs new tyres'))];
      assert.deepEqual(
        entries.map((entry) => [entry.outcome, entry.principal, entry.namespace, entry.client_address, entry.details]),
        [
          ['success', local, 'default', 'local', {}],
          ['success', local, 'default', 'local', { hard: true }],
        ],
      );

      // What is in the trash is no longer found by get or delete, and a delete that finds nothing is not audited.
      for (const command of ['get', 'delete']) {
        const gone = await engram([command, contentHash('the gate code changed')]);
        assert.equal(gone.code, 66, gone.stderr);
        assert.match(gone.stderr, new RegExp(`^engram ${command}: no memory with a hash starting [0-9a-f]{64} in`));
      }
      assert.equal((await deletesOf('the gate code changed')).length, 1);
    });

    it('asks before it deletes for good on a terminal: only y or yes goes ahead', async () => {
      const text = 'the spare key is with the neighbours';
      assert.equal((await engram(['store', text, '--tags', 'home'])).code, 0);
      const hash = contentHash(text);
      const question = `Delete ${hash.slice(0, 12)} "${text}" (note, tags home) from namespace default for good? [y/N] `;
      const answering = (keys: string) => (shown: string) => (shown.includes(question) ? keys : undefined);
      const deleteHard = (keys: string) =>
        runEngramOnTerminal(['delete', hash.slice(0, 12), '--hard'], env, store.dir, answering(keys));

      // Enter takes the default, no; Ctrl-C answers no rather than leaving the command waiting.
      for (const no of ['\r', '\x03']) {
        const declined = await deleteHard(no);
        assert.equal(declined.code, 1, declined.shown);
        assert.match(declined.shown, /engram delete: not confirmed; nothing changed\r?\n/);
      }
      // Without a terminal to ask on, --hard needs --yes: a usage error, nothing deleted.
      const unasked = await engram(['delete', hash.slice(0, 12), '--hard']);
      assert.equal(unasked.code, 64, unasked.stderr);
      assert.ok(
        unasked.stderr.startsWith(
          'engram delete: asks before it deletes for good, and stdin is not a terminal: add --yes to go ahead without asking\n',
        ),
        unasked.stderr,
      );
      assert.deepEqual(await rowsOf(text), [{ deleted: false }]);
      assert.deepEqual(await deletesOf(text), []);

      const confirmed = await deleteHard('yes\r');
      assert.equal(confirmed.code, 0, confirmed.shown);
      assert.match(confirmed.shown, new RegExp(`deleted ${hash} \\(note, tags home\\) for good\r?\n`));
      assert.deepEqual(await rowsOf(text), []);
      assert.equal((await deletesOf(text)).length, 1);
    });

    it('refuses a start several hashes share (65, listing them) and deletes nothing', async () => {
      for (const text of TWINS) assert.equal((await engram(['store', text])).code, 0);
      const [first, second] = TWINS.map((text) => contentHash(text)).sort();
      assert.equal(first.slice(0, 8), second.slice(0, 8));
      for (const command of ['get', 'delete']) {
        const run = await engram([command, first.slice(0, 8)]);
        assert.equal(run.code, 65, run.stderr);
        assert.equal(run.stdout, '');
        const lines = run.stderr.split('\n');
        assert.equal(
          lines[0],
          `engram ${command}: ${first.slice(0, 8)} starts the hash of several memories; give more of it:`,
        );
        assert.deepEqual(
          lines.slice(1, 3).map((line) => line.trim().split(/ {2}/)[0]),
          [first, second],
        );
      }
      for (const text of TWINS) assert.deepEqual(await rowsOf(text), [{ deleted: false }]);
      for (const text of TWINS) assert.deepEqual(await deletesOf(text), [], 'a refused delete is audited');
      const unique = await engram(['get', first.slice(0, 10), '--json']);
      assert.equal(JSON.parse(unique.stdout).content_hash, first);
    });

    it('refuses a malformed hash with its usage (64)', async () => {
      const cases = [
        [['get'], 'engram get: <hash> is required'],
        [['get', '42f58c3'], 'engram get: <hash>: must be 8 to 64 hexadecimal characters'],
        [['delete', 'not-a-hash!'], 'engram delete: <hash>: must be 8 to 64 hexadecimal characters'],
        [['delete', 'a'.repeat(65)], 'engram delete: <hash>: must be 8 to 64 hexadecimal characters'],
        [['delete', '42f58c3e', '42f58c3f'], 'engram delete: one <hash> only'],
        [['get', '42f58c3e', '--hard'], 'engram get: unknown option --hard'],
      ] as const;
      for (const [args, problem] of cases) {
        const run = await engram([...args]);
        assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
        assert.ok(run.stderr.startsWith(problem), run.stderr);
        assert.match(run.stderr, new RegExp(`\nusage: engram ${args[0]} <hash>`));
      }
    });
  });
}
