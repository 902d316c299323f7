import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { e2eStorages, memoryRowsIn, startCliStorage } from './e2e-storage';
import { CliStore, EngramRun, openCliStore, runEngram, runEngramOnTerminal, serviceHelper } from './engram-cli';

const { loadConfig } = serviceHelper('config/config.loader.js');
const { openStores } = serviceHelper('storage/storage.module.js');
const { addConnectorWithToken: writeConnector, CONNECTOR_CLIENT_ID: CLIENT_ID } =
  serviceHelper('testing/oauth-connector.js');

/**
 * The commands that destroy or replace what cannot be had back by undoing them: a restore (every memory
 * replaced), a key revoked, a connector's tokens revoked. Each asks on a terminal, takes --yes, and
 * without a terminal and without --yes refuses (64) before it opens the store.
 */
for (const storage of e2eStorages()) {
  describe(`engram restore, keys revoke and oauth revoke ask first (${storage.name})`, () => {
    let store: CliStore;
    let env: Record<string, string>;
    const engram = (args: string[]) => runEngram(args, env, store.dir);
    /**
     * `engram <args>` on a terminal, typing `keys` once the question ending in [y/N] is shown. Enter stands
     * for every answer but yes: confirm.ts reads them all alike (cli-trash checks Ctrl-C too).
     */
    const onTerminal = (args: string[], keys: string) =>
      runEngramOnTerminal(args, env, store.dir, (shown) => (shown.includes('[y/N] ') ? keys : undefined));
    let rowsOf: (text: string) => Promise<{ deleted: boolean }[]>;

    before(async () => {
      store = await openCliStore('cli-consent-model');
      env = await startCliStorage(storage, store);
      rowsOf = memoryRowsIn(env);
    });
    after(async () => {
      await storage.stop();
      await store?.close();
    });

    /** How many times the audit log says `action` was done: exactly the runs that went ahead, none refused. */
    async function succeeded(action: string): Promise<number> {
      const log = await engram(['audit', '--action', action, '--json']);
      assert.equal(log.code, 0, log.stderr);
      return JSON.parse(log.stdout).events.filter((entry: { outcome: string }) => entry.outcome === 'success').length;
    }

    function assertRefusedWithoutTerminal(run: EngramRun, command: string, what: string): void {
      assert.equal(run.code, 64, run.stderr);
      assert.ok(
        run.stderr.startsWith(
          `engram ${command}: asks before it ${what}, and stdin is not a terminal: add --yes to go ahead without asking\n`,
        ),
        run.stderr,
      );
      assert.equal(run.stdout, '');
    }

    it('restores a backup only once the user said yes, or with --yes', async () => {
      assert.equal((await engram(['store', 'the boiler is serviced in October'])).code, 0);
      const backup = await engram(['backup']);
      assert.equal(backup.code, 0, backup.stderr);
      const id = /^backed up 1 memory to (\S+) /m.exec(backup.stdout)?.[1];
      assert.ok(id, `one memory counted as people write it: ${backup.stdout}`);
      const later = 'the garage code changed to 4711';
      assert.equal((await engram(['store', later])).code, 0);

      assertRefusedWithoutTerminal(await engram(['restore', id]), 'restore', 'replaces the store with a backup');
      const declined = await onTerminal(['restore', id], '\r');
      assert.equal(declined.code, 1, declined.shown);
      assert.match(declined.shown, new RegExp(`Restore ${id} \\(\\S+, 1 memory\\) over the current store\\?`));
      assert.match(declined.shown, /engram restore: not confirmed; nothing changed\r?\n/);
      assert.deepEqual(await rowsOf(later), [{ deleted: false }], 'a refused restore left the store as it was');

      const confirmed = await onTerminal(['restore', id], 'y\r');
      assert.equal(confirmed.code, 0, confirmed.shown);
      assert.match(confirmed.shown, new RegExp(`restored ${id}: 1 memory \\(`));
      assert.deepEqual(await rowsOf(later), [], 'the memory stored after the backup is gone');

      assert.equal((await engram(['store', later])).code, 0);
      const scripted = await engram(['restore', id, '--yes']);
      assert.equal(scripted.code, 0, scripted.stderr);
      assert.deepEqual(await rowsOf(later), []);
      assert.equal(await succeeded('restore'), 2);
    });

    it('revokes an API key only once the user said yes, or with --yes', async () => {
      const create = async (name: string) => {
        const created = await engram(['keys', 'create', '--name', name, '--scopes', 'read,write,admin', '--json']);
        assert.equal(created.code, 0, created.stderr);
        return JSON.parse(created.stdout).id as string;
      };
      const revokedAt = async (id: string) => {
        const listed = JSON.parse((await engram(['keys', 'list', '--json'])).stdout).keys;
        return listed.find((key: { id: string }) => key.id === id).revoked_at as string | null;
      };
      const laptop = await create('laptop');

      assertRefusedWithoutTerminal(await engram(['keys', 'revoke', laptop]), 'keys', 'revokes a key for good');
      const declined = await onTerminal(['keys', 'revoke', laptop], '\r');
      assert.equal(declined.code, 1, declined.shown);
      assert.match(declined.shown, new RegExp(`Revoke key laptop \\(${laptop}\\), scopes read,write,admin, `));
      assert.match(declined.shown, /engram keys revoke: not confirmed; nothing changed\r?\n/);
      assert.equal(await revokedAt(laptop), null);

      const confirmed = await onTerminal(['keys', 'revoke', laptop], 'yes\r');
      assert.equal(confirmed.code, 0, confirmed.shown);
      assert.match(confirmed.shown, new RegExp(`revoked laptop \\(${laptop}\\)`));
      assert.notEqual(await revokedAt(laptop), null);

      const ci = await create('ci');
      const scripted = await engram(['keys', 'revoke', ci, '--yes']);
      assert.equal(scripted.code, 0, scripted.stderr);
      assert.notEqual(await revokedAt(ci), null);
      assert.equal(await succeeded('key.revoke'), 2);
    });

    it("revokes a connector's tokens only once the user said yes, or with --yes", async () => {
      await addConnectorWithToken(env, store.dir);
      const liveTokens = async () => {
        const listed = JSON.parse((await engram(['oauth', 'clients', '--json'])).stdout).clients;
        return listed.find((client: { client_id: string }) => client.client_id === CLIENT_ID).active_tokens;
      };

      assertRefusedWithoutTerminal(
        await engram(['oauth', 'revoke', CLIENT_ID]),
        'oauth',
        "revokes a connector's tokens",
      );
      const declined = await onTerminal(['oauth', 'revoke', CLIENT_ID], '\r');
      assert.equal(declined.code, 1, declined.shown);
      assert.match(declined.shown, /Revoke every token of CLI connector \(\S+, 1 live token\(s\)\)\?/);
      assert.match(declined.shown, /engram oauth revoke: not confirmed; nothing changed\r?\n/);
      assert.equal(await liveTokens(), 1);

      const confirmed = await onTerminal(['oauth', 'revoke', CLIENT_ID], 'y\r');
      assert.equal(confirmed.code, 0, confirmed.shown);
      assert.match(confirmed.shown, new RegExp(`revoked 1 token\\(s\\) of ${CLIENT_ID}`));
      assert.equal(await liveTokens(), 0);

      const scripted = await engram(['oauth', 'revoke', CLIENT_ID, '--yes', '--json']);
      assert.equal(scripted.code, 0, scripted.stderr);
      assert.deepEqual(JSON.parse(scripted.stdout), { client_id: CLIENT_ID, revoked_tokens: 0 });
      assert.equal(await succeeded('oauth.revoke'), 2);
    });
  });
}

describe('--yes on commands that destroy nothing', () => {
  it('is refused with the usage (64), before any store is opened', async () => {
    const cases = [
      [['restore', '--list', '--yes'], 'engram restore: --yes goes with a restore, not --list'],
      [['keys', 'list', '--yes'], 'engram keys: --yes goes with keys revoke, not keys list'],
      [['oauth', 'clients', '--yes'], 'engram oauth: --yes goes with oauth revoke'],
    ];
    for (const [args, problem] of cases) {
      const run = await runEngram(args as string[], { MCP_MEMORY_SQLITE_PATH: '/nonexistent/none.db' }, '/');
      assert.equal(run.code, 64, `${(args as string[]).join(' ')}: ${run.stderr}`);
      assert.ok(run.stderr.startsWith(`${problem}\n`), run.stderr);
    }
  });
});

/** An approved connector holding one live access token, written through the store's own port. */
async function addConnectorWithToken(env: Record<string, string>, cwd: string): Promise<void> {
  const stores = await openStores(loadConfig({ env, cwd }));
  try {
    await writeConnector(stores.oauth);
  } finally {
    await stores.close();
  }
}
