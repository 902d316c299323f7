import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, Server } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { freePort, RunningApi, serviceHelper, startApi, tempDir } from './process-harness';

const { TestConnector } = serviceHelper('testing/test-connector.js');

const ADMIN_KEY = 'cimd-e2e-admin-key-0123456789';
const REDIRECT = 'http://127.0.0.1:9/cimd-callback';

/** A test CA and a certificate for 127.0.0.1 signed by it (openssl from Debian). */
function makeCertificates(dir: string): { ca: string; key: string; cert: string } {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=Engram test CA',
  );
  openssl('req', ...ec, '-keyout', file('leaf.key'), '-out', file('leaf.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(file('leaf.ext'), 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('leaf.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('leaf.crt'),
    '-days',
    '2',
    '-extfile',
    file('leaf.ext'),
  );
  return {
    ca: file('ca.crt'),
    key: readFileSync(file('leaf.key'), 'utf8'),
    cert: readFileSync(file('leaf.crt'), 'utf8'),
  };
}

/**
 * Where client metadata documents live: an https server on loopback with a valid document and the
 * hostile ones, counting requests per path. Any path under /flood/ is a valid document of its own; one
 * under /slow/ is never answered.
 */
class DocumentHost {
  readonly hits = new Map<string, number>();
  private server!: Server;
  base = '';

  async start(tls: { key: string; cert: string }): Promise<void> {
    this.server = createServer(tls, (request, response) => {
      const path = request.url ?? '/';
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      this.answer(path, response);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.base = `https://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  stop(): void {
    this.server.closeAllConnections();
    this.server.close();
  }

  document(path: string, overrides: Record<string, unknown> = {}) {
    return {
      client_id: `${this.base}${path}`,
      client_name: 'CIMD e2e client',
      client_uri: 'https://client.example.com',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...overrides,
    };
  }

  private answer(path: string, response: ServerResponse): void {
    const json = (body: unknown, headers: Record<string, string> = {}) =>
      void response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    switch (path) {
      case '/client.json':
        return json(this.document(path), { 'cache-control': 'public, max-age=300' });
      case '/mismatch.json':
        return json(this.document(path, { client_id: `${this.base}/someone-else.json` }));
      case '/secret.json':
        return json(this.document(path, { token_endpoint_auth_method: 'client_secret_basic' }));
      case '/redirect.json':
        return void response.writeHead(302, { location: '/redirect-2.json' }).end();
      case '/redirect-2.json':
        return void response.writeHead(302, { location: '/client.json' }).end();
      case '/oversized.json':
        return json(this.document(path, { padding: 'x'.repeat(64 * 1024) }));
      case '/oversized-chunked.json':
        response.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < 64; i++) response.write(' '.repeat(1024));
        return void response.end(JSON.stringify(this.document(path)));
      case '/as-json-subtype.json':
        return json(this.document(path), { 'content-type': 'Application/Client-Metadata+JSON; charset=utf-8' });
      case '/as-html.json':
        return json(this.document(path), { 'content-type': 'text/html; charset=utf-8' });
      case '/as-text.json':
        return json(this.document(path), { 'content-type': 'text/plain' });
      case '/as-nothing.json':
        return void response.writeHead(200).end(JSON.stringify(this.document(path)));
      case '/slow.json':
        return; // headers never come
      default:
        if (path.startsWith('/slow/')) return;
        if (path.startsWith('/flood/')) return json(this.document(path));
        response.writeHead(404).end();
    }
  }
}

describe('OAuth with client ID metadata documents (real process, https documents on loopback)', () => {
  let dir: string;
  let api: RunningApi;
  const host = new DocumentHost();

  before(async () => {
    dir = tempDir();
    const tls = makeCertificates(dir);
    await host.start(tls);
    const port = String(await freePort());
    api = await startApi(
      {
        MCP_HTTP_PORT: port,
        MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
        MCP_API_KEY: ADMIN_KEY,
        ENGRAM_PUBLIC_URL: `http://127.0.0.1:${port}`,
        ENGRAM_OAUTH_ENABLED: 'true',
        // Loopback only, and only because the documents are served here; the CA is the test's own.
        ENGRAM_OAUTH_METADATA_PRIVATE_HOSTS: '127.0.0.1',
        NODE_EXTRA_CA_CERTS: tls.ca,
      },
      dir,
    );
  });
  after(async () => {
    await api?.stop();
    host.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The operator's browser on the consent page: signs in and approves. */
  async function approve(authorizationUrl: URL): Promise<{ page: string; params: URLSearchParams }> {
    const page = await (await fetch(authorizationUrl)).text();
    const form = new URLSearchParams({
      request_id: /name="request_id" value="([^"]+)"/.exec(page)![1],
      csrf: /name="csrf" value="([^"]+)"/.exec(page)![1],
      action: 'approve',
      credential: ADMIN_KEY,
      namespace: 'default',
      scope: 'read',
    });
    form.append('scope', 'write');
    const answer = await fetch(`${api.url}/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    assert.equal(answer.status, 303, await answer.text());
    return { page, params: new URL(answer.headers.get('location')!).searchParams };
  }

  async function authorizeWith(clientId: string): Promise<{ status: number; text: string }> {
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    const url = new URL('/oauth/authorize', api.url);
    url.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    return { status: response.status, text: await response.text() };
  }

  it('advertises client ID metadata documents and no open registration', async () => {
    const metadata = (await (await fetch(`${api.url}/.well-known/oauth-authorization-server`)).json()) as any;
    assert.equal(metadata.client_id_metadata_document_supported, true);
    assert.equal(metadata.registration_endpoint, undefined);
  });

  it('runs the v2 SDK client flow end to end with an https client_id, shows its host, and caches the document', async () => {
    const clientId = `${host.base}/client.json`;
    const provider = new TestConnector(
      { client_name: 'CIMD e2e client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' },
      clientId,
    );
    const mcpUrl = new URL('/mcp', api.url);
    await assert.rejects(
      new Client({ name: 'cimd-e2e', version: '1.0.0' }).connect(
        new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }),
      ),
      UnauthorizedError,
    );
    assert.equal(provider.client?.client_id, clientId, 'the SDK used the document URL as its client_id');
    assert.equal(provider.authorizationUrl?.searchParams.get('client_id'), clientId);
    const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
    const { page, params } = await approve(provider.authorizationUrl!);
    assert.match(page, /CIMD e2e client/);
    assert.match(page, new RegExp(`<b>${new URL(host.base).host}</b> vouches for this name`));
    assert.equal(params.get('iss'), api.url);
    await transport.finishAuth(params);
    assert.ok(provider.saved?.access_token, 'tokens saved');

    const client = new Client({ name: 'cimd-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    try {
      const stored = (await client.callTool({
        name: 'memory_store',
        arguments: { content: 'stored by a client identified by its metadata document' },
      })) as { structuredContent?: { created?: boolean } };
      assert.equal(stored.structuredContent?.created, true);
    } finally {
      await client.close();
    }

    assert.equal((await authorizeWith(clientId)).status, 200, 'a second authorization');
    assert.equal(host.hits.get('/client.json'), 1, 'the document was fetched once and then served from cache');
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const listed = await fetch(`${api.url}/api/admin/oauth/clients`, { headers: admin });
    const entry = ((await listed.json()) as any).clients.find((c: any) => c.client_id === clientId);
    assert.equal(entry.source, 'metadata_document');
    const revoked = await fetch(`${api.url}/api/admin/oauth/clients/${encodeURIComponent(clientId)}`, {
      method: 'DELETE',
      headers: admin,
    });
    assert.equal(revoked.status, 200, await revoked.text());
    const refused = await fetch(`${api.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${provider.saved!.access_token}` },
    });
    assert.equal(refused.status, 401, 'the operator cut the metadata-document client off');
  });

  it('refuses a document whose client_id is not its own URL', async () => {
    const answer = await authorizeWith(`${host.base}/mismatch.json`);
    assert.equal(answer.status, 400);
    assert.match(answer.text, /its client_id \(.*someone-else.json\) is not the document&#39;s URL/);
  });

  it('refuses a document that asks for a client secret', async () => {
    const answer = await authorizeWith(`${host.base}/secret.json`);
    assert.equal(answer.status, 400);
    assert.match(answer.text, /client_secret_basic is not supported; use none/);
  });

  it('refuses addresses outside the allow-list without fetching: other loopback, private, link-local', async () => {
    const port = new URL(host.base).port;
    const before = [...host.hits.values()].reduce((sum, n) => sum + n, 0);
    for (const [clientId, address] of [
      [`https://127.0.0.2:${port}/client.json`, '127.0.0.2'],
      ['https://10.20.30.40/client.json', '10.20.30.40'],
      ['https://169.254.169.254/latest/client.json', '169.254.169.254'],
    ]) {
      const answer = await authorizeWith(clientId);
      assert.equal(answer.status, 400, clientId);
      assert.match(answer.text, new RegExp(`resolves to ${address.replace(/\./g, '\\.')}, a private`), clientId);
    }
    assert.equal(
      [...host.hits.values()].reduce((sum, n) => sum + n, 0),
      before,
      'nothing was fetched',
    );
  });

  it('follows no redirect', async () => {
    const answer = await authorizeWith(`${host.base}/redirect.json`);
    assert.equal(answer.status, 400);
    assert.match(answer.text, /redirect \(HTTP 302\)/);
    assert.equal(host.hits.get('/redirect-2.json'), undefined);
  });

  it('refuses oversized documents, whether or not they say their length', async () => {
    for (const path of ['/oversized.json', '/oversized-chunked.json']) {
      const answer = await authorizeWith(`${host.base}${path}`);
      assert.equal(answer.status, 400, path);
      assert.match(answer.text, /larger than 32768 bytes/, path);
    }
  });

  it('gives up on a host that never answers, and the server stays responsive meanwhile', async () => {
    const pending = authorizeWith(`${host.base}/slow.json`);
    const health = await fetch(`${api.url}/health/live`);
    assert.equal(health.status, 200);
    const answer = await pending;
    assert.equal(answer.status, 400);
    assert.match(answer.text, /no complete answer within 5 s/);
  });
});

describe('client metadata documents while many addresses flood /oauth/authorize (real process, https documents)', () => {
  let dir: string;
  let tls: ReturnType<typeof makeCertificates>;
  let env: Record<string, string>;
  let api: RunningApi;
  const host = new DocumentHost();
  const OPERATOR = '192.0.2.10';
  /** Distinct client addresses, as the trusted proxy (loopback) reports them in X-Forwarded-For. */
  const addresses = (count: number) => Array.from({ length: count }, (_, n) => `198.18.${n >> 8}.${n & 255}`);
  /** When the flood of fresh documents spent the minute's budget. */
  let floodEndedAt = 0;

  before(async () => {
    dir = tempDir();
    tls = makeCertificates(dir);
    await host.start(tls);
    const port = String(await freePort());
    env = {
      MCP_HTTP_PORT: port,
      MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
      MCP_API_KEY: ADMIN_KEY,
      ENGRAM_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ENGRAM_OAUTH_ENABLED: 'true',
      ENGRAM_OAUTH_METADATA_PRIVATE_HOSTS: '127.0.0.1',
      ENGRAM_TRUSTED_PROXIES: '127.0.0.1',
      NODE_EXTRA_CA_CERTS: tls.ca,
    };
    api = await startApi(env, dir);
  });
  after(async () => {
    host.stop();
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const authorizationUrl = (path: string) => {
    const url = new URL('/oauth/authorize', api.url);
    url.search = new URLSearchParams({
      client_id: `${host.base}${path}`,
      redirect_uri: REDIRECT,
      response_type: 'code',
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return url;
  };
  const authorizeFrom = async (address: string, path: string) => {
    const response = await fetch(authorizationUrl(path), { headers: { 'x-forwarded-for': address } });
    return { status: response.status, text: await response.text() };
  };
  const floodFetches = (prefix: string) =>
    [...host.hits].filter(([path]) => path.startsWith(prefix)).reduce((sum, [, count]) => sum + count, 0);

  it('takes a document only when served as JSON: a page, a text file or a body of no type is refused', async () => {
    // An address of its own: the first suite's requester has spent its share of fetches.
    const requester = '203.0.113.7';
    assert.equal((await authorizeFrom(requester, '/as-json-subtype.json')).status, 200);
    for (const [path, shown] of [
      ['/as-html.json', '&#39;text/html; charset=utf-8&#39;'],
      ['/as-text.json', '&#39;text/plain&#39;'],
      ['/as-nothing.json', 'no content type'],
    ]) {
      const answer = await authorizeFrom(requester, path);
      assert.equal(answer.status, 400, path);
      assert.match(
        answer.text,
        new RegExp(`is served as ${shown}; a client metadata document is served as application/json`),
        path,
      );
    }
  });

  it("keeps an approved connector's document cached while 600 addresses each name a fresh one", async () => {
    const page = await authorizeFrom(OPERATOR, '/client.json');
    const form = new URLSearchParams({
      request_id: /name="request_id" value="([^"]+)"/.exec(page.text)![1],
      csrf: /name="csrf" value="([^"]+)"/.exec(page.text)![1],
      action: 'approve',
      credential: ADMIN_KEY,
      namespace: 'default',
      scope: 'read',
    });
    const approved = await fetch(`${api.url}/oauth/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
      headers: { 'x-forwarded-for': OPERATOR },
    });
    assert.equal(approved.status, 303, await approved.text());

    const flood = addresses(600);
    for (let start = 0; start < flood.length; start += 10) {
      await Promise.all(
        flood.slice(start, start + 10).map((address, n) => authorizeFrom(address, `/flood/${start + n}.json`)),
      );
    }
    floodEndedAt = Date.now();
    const again = await authorizeFrom(OPERATOR, '/client.json');
    assert.equal(again.status, 200, again.text);
    assert.equal(host.hits.get('/client.json'), 1, 'served from the cache');
    assert.ok(floodFetches('/flood/') <= 60, `new documents fetched in the minute: ${floodFetches('/flood/')}`);
  });

  it('fetches the approved connector on a restarted api while 250 addresses hold every fetch slot', async () => {
    await api.stop();
    api = await startApi(env, dir); // nothing cached: the approval is in the store
    // The minute's fetches the flood spent are counted in the store, so a restart does not give them back ...
    const refusedSpent = await authorizeFrom('203.0.113.99', '/flood/after-restart.json');
    assert.match(refusedSpent.text, /too many client metadata documents are being fetched/, 'the budget is spent');
    assert.equal(floodFetches('/flood/after-restart'), 0);
    // ... until its window has passed; then the slow flood below can take every slot.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, floodEndedAt + 61_000 - Date.now())));
    const flood = addresses(250).map((address, n) => authorizeFrom(address, `/slow/${n}.json`));
    await waitForHits(() => floodFetches('/slow/') >= 16);
    const refusedNew = await authorizeFrom(OPERATOR, '/flood/new.json');
    assert.match(refusedNew.text, /too many client metadata documents are being fetched/, 'every slot is taken');
    const connector = await authorizeFrom(OPERATOR, '/client.json');
    assert.equal(connector.status, 200, connector.text);
    assert.match(connector.text, /CIMD e2e client/);
    assert.equal(host.hits.get('/client.json'), 2, 'fetched again by the new process');
    host.stop(); // the slow documents' connections end, and with them the flood's requests
    await Promise.all(flood);
  });
});

async function waitForHits(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the document host was not asked in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
