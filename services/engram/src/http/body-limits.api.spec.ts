import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SMALL_BODY_BYTES } from '../common/request-body-size';
import { IMPORT_UPLOAD_PATH } from '../imports/import-upload.parser';
import { API_DOC } from '../testing/api-doc-table';
import { chatGptExport } from '../testing/import-fixtures';
import { connectHttpClient } from '../testing/mcp-client';
import { oauthPost, startOAuthTestApp } from '../testing/oauth-flow';
import { endlessUpload, rawAnswer, rawRequest, uploadAfterAnswer } from '../testing/raw-request';
import { startTestApp, TestApp } from '../testing/test-app';
import { routesOf } from './create-app';

const ADMIN_KEY = 'body-limits-admin-key-0123456789';
const OVER_SMALL = 100 * 1024;

/** The `METHOD /path` routes docs/api.md's "Body sizes" paragraph gives ENGRAM_MAX_BODY_BYTES. */
function documentedLargeBodyRoutes(): string[] {
  const paragraph = API_DOC.split('\n\n').find((text) => text.startsWith('Body sizes:'));
  assert.ok(paragraph, 'docs/api.md has a "Body sizes:" paragraph');
  return [...paragraph.matchAll(/`((?:POST|PUT) \/[^`\s]*)`/g)].map(([, route]) => route.replace('<path>', '*'));
}

describe('request body limits per route (real api on loopback)', () => {
  let api: TestApp;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY, { ENGRAM_OAUTH_OPEN_REGISTRATION: 'true' });
  });
  after(() => api.close());

  it('answers a body over 64 KiB on a small route 413 naming the limit and the route, creating nothing', async () => {
    const key = await api.request('POST', '/api/admin/keys', {
      body: { name: 'k'.repeat(OVER_SMALL), scopes: ['read'] },
      headers: admin,
    });
    assert.equal(key.status, 413, key.text);
    assert.equal(key.body.error, 'payload_too_large');
    assert.match(
      key.body.message,
      new RegExp(`larger than ${SMALL_BODY_BYTES} bytes, the limit of POST /api/admin/keys`),
    );
    const keys = await api.request('GET', '/api/admin/keys', { headers: admin });
    assert.equal(keys.status, 200);
    assert.equal(JSON.stringify(keys.body).includes('kkkkkkkk'), false, 'no key was created');

    const search = await api.request('POST', '/api/search', {
      body: { query: 'q'.repeat(OVER_SMALL) },
      headers: admin,
    });
    assert.equal(search.status, 413, search.text);
    const token = await oauthPost(`${api.url}/oauth/token`, { grant_type: 'x'.repeat(OVER_SMALL) });
    assert.equal(token.status, 413);
    assert.match(token.body.error_description, /limit of POST \/oauth\/token/);
  });

  it('reads a refused body of at most ENGRAM_MAX_BODY_BYTES to its end, keeping the connection, so a client still sending reads the 413', async () => {
    const refused = await rawRequest(api.url, 'POST', '/oauth/revoke', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('m'.repeat(4 * 1024 * 1024)),
    });
    assert.equal(refused.status, 413);
    assert.notEqual(refused.headers.connection, 'close');
  });

  it('reads bodies past 64 KiB on the routes that carry memory content: escaped text, a batch, an MCP call', async () => {
    // 30,000 × é is 60,000 bytes of content; a client escaping non-ASCII (Python's json.dumps) sends 180,000.
    const escaped = `{"content": "${'\\u00e9'.repeat(30_000)}", "tags": ["escaped"]}`;
    assert.ok(Buffer.byteLength(escaped) > 2 * SMALL_BODY_BYTES);
    const stored = await api.request('POST', '/api/memories', {
      rawBody: escaped,
      headers: { ...admin, 'content-type': 'application/json' },
    });
    assert.equal(stored.status, 201, stored.text);
    assert.equal(stored.body.memory.content, 'é'.repeat(30_000));

    const memories = [1, 2, 3].map((n) => ({ content: `batch ${n} ${'b'.repeat(40_000)}` }));
    const batch = await api.request('POST', '/api/memories/batch', { body: { memories }, headers: admin });
    assert.equal(batch.status, 200, batch.text);
    assert.equal(batch.body.stored, 3);

    const { client } = await connectHttpClient(api.url, ADMIN_KEY);
    try {
      // 60,000 bytes of content, 72,000 in JSON: every newline is sent as `\n`.
      const content = 'memo\n'.repeat(12_000);
      const result = await client.callTool({ name: 'memory_store', arguments: { content } });
      assert.notEqual(result.isError, true, JSON.stringify(result));
    } finally {
      await client.close();
    }
    const listed = await api.request('GET', '/api/memories?page_size=10', { headers: admin });
    assert.equal(listed.body.total, 5);
  });

  it('gives ENGRAM_MAX_BODY_BYTES to exactly the routes docs/api.md lists, and 64 KiB to every other route', () => {
    const served = routesOf(api.app).filter((route) => route.method === 'POST' || route.method === 'PUT');
    assert.ok(served.length > 30, `${served.length} POST and PUT routes`);
    const large = served.filter((route) => route.bodyLimit !== undefined);
    assert.deepEqual(
      large.filter((route) => route.bodyLimit !== api.config.limits.maxBodyBytes),
      [],
      'a route with its own limit has the configured one',
    );
    assert.deepEqual(large.map(({ method, url }) => `${method} ${url}`).sort(), documentedLargeBodyRoutes().sort());
    assert.equal(api.app.getHttpAdapter().getInstance().initialConfig.bodyLimit, SMALL_BODY_BYTES);
  });
});

describe('a body far over ENGRAM_MAX_BODY_BYTES on the routes that take large bodies (raw sockets)', () => {
  let api: TestApp;
  let limit: number;
  const headers = {
    authorization: `Bearer ${ADMIN_KEY}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: ADMIN_KEY });
    limit = api.config.limits.maxBodyBytes;
  });
  after(() => api.close());

  /** The 413 `received` holds names the configured limit, in the route's error shape, and closes. */
  function assertRefused(received: string, path: string): void {
    const answer = rawAnswer(received);
    assert.equal(answer.status, 413, `${path}: ${received.slice(0, 200) || 'nothing received'}`);
    assert.equal(answer.header('connection'), 'close', path);
    const message = path === '/mcp' ? answer.body.error.message : answer.body.message;
    assert.match(message, new RegExp(`larger than ${limit} bytes, the configured limit \\(ENGRAM_MAX_BODY_BYTES\\)`));
  }

  it('answers bodies declared five times the limit with a 413 each client reads while still sending, holding none of them', async () => {
    const before = process.memoryUsage().rss;
    for (const path of ['/api/memories/batch', '/mcp']) {
      const uploads = [1, 2, 3].map(() => endlessUpload(api.url, path, headers, { contentLength: 5 * limit }));
      for (const upload of await Promise.all(uploads)) assertRefused(upload.received, path);
    }
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 5 * limit, `the api grew by ${grown} bytes, as much as one of the bodies`);
  });

  it('answers an endless chunked body with a 413 and closes it, serving other clients meanwhile', async () => {
    for (const path of ['/api/memories/batch', '/mcp']) {
      const uploads = [1, 2, 3].map(() => endlessUpload(api.url, path, headers, 'chunked'));
      const health = await api.request('GET', '/api/health', { headers });
      assert.equal(health.status, 200, 'another client is served while the uploads go on');
      for (const upload of await Promise.all(uploads)) assertRefused(upload.received, path);
    }
    const stored = await api.request('GET', '/api/memories', { headers });
    assert.equal(stored.body.total, 0);
  });

  it('reads and drops what a client still sends after the 413 until it closes its side, so no reset can erase the answer', async () => {
    for (const path of ['/api/memories/batch', '/mcp']) {
      const upload = await uploadAfterAnswer(api.url, path, headers, 5 * limit, 1024 * 1024);
      assertRefused(upload.received, path);
      assert.equal(upload.reset, false, `${path}: the server reset the connection after ${upload.sent} bytes`);
      assert.equal(upload.sent, 1024 * 1024);
    }
  });
});

describe('ENGRAM_MAX_BODY_BYTES below 64 KiB (real api on loopback)', () => {
  const LIMIT = 16 * 1024;
  let api: TestApp;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  const configured = new RegExp(`larger than ${LIMIT} bytes, the configured limit \\(ENGRAM_MAX_BODY_BYTES\\)`);

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY, { ENGRAM_MAX_BODY_BYTES: String(LIMIT) });
  });
  after(() => api.close());

  it('is the limit of every route, large or small, but the import upload, which keeps its own', async () => {
    const serverLimit = api.app.getHttpAdapter().getInstance().initialConfig.bodyLimit;
    const routes = routesOf(api.app).filter((route) => route.method === 'POST' || route.method === 'PUT');
    assert.deepEqual(
      routes.filter((route) => (route.bodyLimit ?? serverLimit) !== LIMIT).map(({ method, url }) => `${method} ${url}`),
      [],
    );
    // Multipart is streamed to disk, never parsed in memory: ENGRAM_IMPORT_MAX_UPLOAD_BYTES alone bounds it.
    const file = JSON.stringify(chatGptExport(40));
    assert.ok(file.length > 2 * LIMIT);
    const form = new FormData();
    form.append('dry_run', 'true');
    form.append('file', new Blob([file]), 'conversations.json');
    const upload = await fetch(`${api.url}${IMPORT_UPLOAD_PATH}`, { method: 'POST', body: form, headers: admin });
    assert.equal(upload.status, 202, await upload.text());
  });

  it('refuses a body over it on small routes, large routes, the token endpoint and /mcp with a 413 naming the setting', async () => {
    const over = 'x'.repeat(LIMIT + 1);
    const refused = [
      await api.request('POST', '/api/search', { body: { query: over }, headers: admin }),
      await api.request('POST', '/api/admin/keys', { body: { name: over, scopes: ['read'] }, headers: admin }),
      await api.request('POST', '/api/memories', { body: { content: over }, headers: admin }),
      await api.request('POST', '/api/memories/batch', { body: { memories: [{ content: over }] }, headers: admin }),
    ];
    for (const answer of refused) {
      assert.equal(answer.status, 413, answer.text);
      assert.match(answer.body.message, configured);
    }
    const token = await oauthPost(`${api.url}/oauth/token`, { grant_type: over });
    assert.equal(token.status, 413);
    assert.match(token.body.error_description, configured);
    const mcp = await api.request('POST', '/mcp', {
      body: {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'memory_store', arguments: { content: over } },
      },
      headers: { ...admin, accept: 'application/json, text/event-stream' },
    });
    assert.equal(mcp.status, 413);
    assert.match(mcp.body.error.message, configured);

    const stored = await api.request('POST', '/api/memories', {
      body: { content: 'y'.repeat(LIMIT / 2) },
      headers: admin,
    });
    assert.equal(stored.status, 201, 'a body within the limit is read');
    const listed = await api.request('GET', '/api/memories', { headers: admin });
    assert.equal(listed.body.total, 1, 'no refused body was stored');
  });
});
