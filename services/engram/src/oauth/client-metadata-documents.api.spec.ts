import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pkcePair, startOAuthTestApp } from '../testing/oauth-flow';
import { TestApp } from '../testing/test-app';

const ADMIN_KEY = 'documents-admin-key-0123456789';
const OPERATOR = { 'x-forwarded-for': '198.51.100.4' };
/** Two addresses of one /64: the flooder counts as one requester whichever it sends from. */
const FLOODER = (n: number) => ({ 'x-forwarded-for': `2001:db8:66:1::${n + 1}` });
/** The process-wide bound on distinct fetches (client-metadata-documents.ts): the flood asks for all. */
const MAX_IN_FLIGHT = 16;

/**
 * Authorization requests name metadata documents on a loopback server (allowed through
 * ENGRAM_OAUTH_METADATA_PRIVATE_HOSTS) that accepts connections and never answers, as a slow host would;
 * each request's address is the trusted proxy's X-Forwarded-For.
 */
describe('client metadata document fetches shared among addresses', () => {
  let api: TestApp;
  let slowHost: Server;
  let port: number;
  const held: Socket[] = [];
  let onConnection = () => {};

  before(async () => {
    slowHost = createServer((socket) => {
      held.push(socket);
      onConnection();
    });
    slowHost.listen(0, '127.0.0.1');
    await once(slowHost, 'listening');
    port = (slowHost.address() as { port: number }).port;
    api = await startOAuthTestApp(ADMIN_KEY, {
      ENGRAM_TRUSTED_PROXIES: '127.0.0.1',
      ENGRAM_OAUTH_METADATA_PRIVATE_HOSTS: '127.0.0.1',
    });
  });
  after(async () => {
    held.forEach((socket) => socket.destroy());
    slowHost.close();
    await api.close();
  });

  const authorize = (document: string, headers: Record<string, string>) => {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: `https://127.0.0.1:${port}/${document}`,
      redirect_uri: 'https://connector.example.com/callback',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    return fetch(`${api.url}/oauth/authorize?${query}`, { headers }).then((page) => page.text());
  };

  it("one address naming slow documents cannot stop another address's connector from being fetched", async () => {
    const flood: Promise<string>[] = [];
    for (let n = 0; n < MAX_IN_FLIGHT; n++) {
      // Each request either reaches the slow host or is refused at once; wait for whichever comes.
      const connected = new Promise<void>((resolve) => (onConnection = resolve));
      const page = authorize(`slow-${n}.json`, FLOODER(n));
      flood.push(page);
      await Promise.race([connected, page]);
    }
    const fetchesBefore = held.length;
    assert.ok(fetchesBefore < MAX_IN_FLIGHT, 'the flooder holds a share of the fetches, not all');

    const connector = await authorize('connector.json', OPERATOR);
    assert.equal(held.length, fetchesBefore + 1, "the operator's connector was fetched");
    assert.match(connector, /no complete answer within 5 s/);
    held.forEach((socket) => socket.destroy());
    const refused = (await Promise.all(flood)).filter((page) => page.includes('are being fetched'));
    assert.equal(refused.length, MAX_IN_FLIGHT - fetchesBefore);
    assert.ok(
      refused.every((page) => page.includes('too many client metadata documents are being fetched; retry in a moment')),
    );
  });
});
