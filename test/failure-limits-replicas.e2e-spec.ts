import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { E2eStorage, e2eStorages } from './e2e-storage';
import { call, freePort, RunningApi, serviceHelper, startApi, tempDir } from './process-harness';

const { registerAndConsent } = serviceHelper('testing/oauth-flow.js');

const ADMIN_KEY = 'e2e-limits-bootstrap-key-0123456789';
const from = (address: string, key?: string): Record<string, string> => ({
  'x-forwarded-for': address,
  ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
});

/**
 * Two api replicas on one store (a PostgreSQL database, or one SQLite file on a shared volume) and no Redis,
 * behind a proxy that spreads one client's requests over both: the failed-credential limits are the
 * database's, so the client meets one budget.
 */
for (const storage of e2eStorages()) {
  describe(`failed credentials counted together by api replicas on ${storage.name} without Redis (real processes)`, () =>
    countedTogether(storage));
}

function countedTogether(storage: E2eStorage): void {
  const dir = tempDir();
  let replicas: RunningApi[];

  before(async () => {
    const port = String(await freePort());
    const env = {
      ...(await storage.start(dir)),
      MCP_API_KEY: ADMIN_KEY,
      MEMORY_DIR: join(dir, 'memory'),
      // The test plays the ingress in front of both replicas, which reports each client's address.
      ENGRAM_TRUSTED_PROXIES: '127.0.0.1/32',
      ENGRAM_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ENGRAM_OAUTH_ENABLED: 'true',
      ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
    };
    const first = await startApi({ ...env, MCP_HTTP_PORT: port }, dir);
    replicas = [first, await startApi(env, dir)];
  });
  after(async () => {
    await Promise.all((replicas ?? []).map((replica) => replica.stop()));
    await storage.stop();
  });

  it("answers 429 on either replica once one address's wrong keys spread over both pass the budget of 30", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const replica = replicas[i % 2];
      statuses.push(
        (await call(replica.url, 'GET', '/api/memories', undefined, from('203.0.113.5', `wrong-${i}`))).status,
      );
    }
    assert.deepEqual([...new Set(statuses)], [401], 'thirty wrong keys a minute, fifteen on each replica');
    for (const replica of replicas) {
      const limited = await call(replica.url, 'GET', '/api/memories', undefined, from('203.0.113.5', 'wrong-again'));
      assert.equal(limited.status, 429, `${replica.url} counts the other replica's failures`);
    }
    const other = await call(replicas[1].url, 'GET', '/api/memories', undefined, from('198.51.100.5', 'wrong'));
    assert.equal(other.status, 401, 'another address has its own budget');
    const valid = await call(replicas[0].url, 'GET', '/api/memories', undefined, from('203.0.113.5', ADMIN_KEY));
    assert.equal(valid.status, 200, 'a valid key is always served');
  });

  it("refuses the operator's sign-in on either replica after ten wrong ones from one address spread over both", async () => {
    const signIn = (n: number, credential: string) =>
      registerAndConsent(replicas[n % 2].url, credential, from('203.0.113.6'));
    for (let i = 0; i < 10; i++) assert.equal((await signIn(i, `wrong password ${i}`)).status, 401, `guess ${i}`);
    for (const n of [0, 1]) assert.equal((await signIn(n, ADMIN_KEY)).status, 429, `replica ${n} waits too`);
    assert.equal((await registerAndConsent(replicas[1].url, ADMIN_KEY, from('198.51.100.6'))).status, 303);
  });
}
