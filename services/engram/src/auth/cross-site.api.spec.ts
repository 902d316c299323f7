import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../testing/test-app';

const EVIL = 'https://evil.example';

/** What a web page's form can send without a CORS preflight: a multipart upload. */
function importForm(): FormData {
  const form = new FormData();
  form.append('source', 'markdown');
  form.append('file', new Blob(['# Planted\n\nThe attacker wrote this note.']), 'planted.md');
  return form;
}

describe('cross-site requests to a server without credentials (CSRF)', () => {
  let api: TestApp;
  const post = (path: string, headers: Record<string, string>, body: string | FormData = importForm()) =>
    fetch(`${api.url}${path}`, { method: 'POST', headers, body });

  before(async () => {
    api = await startTestApp({ MCP_CORS_ORIGINS: 'https://app.example.com' });
  });
  after(() => api.close());

  it('refuses a multipart import posted by another site with a clear 403, and imports nothing', async () => {
    const refused = await post('/api/import', { origin: EVIL });
    assert.equal(refused.status, 403);
    const body = (await refused.json()) as { error: string; message: string };
    assert.equal(body.error, 'cross_site_request');
    assert.match(body.message, /https:\/\/evil\.example/);
    assert.match(body.message, /MCP_CORS_ORIGINS/);

    const fetchMetadataOnly = await post('/api/import', { 'sec-fetch-site': 'cross-site' });
    assert.equal(fetchMetadataOnly.status, 403);
    const sameSite = await post('/api/import', { 'sec-fetch-site': 'same-site' });
    assert.equal(sameSite.status, 403, 'another port of this host is another origin');
    const sandboxed = await post('/api/import', { origin: 'null' });
    assert.equal(sandboxed.status, 403);

    const jobs = await api.request('GET', '/api/jobs');
    assert.equal(jobs.body.total, 0, 'no import job was queued');
  });

  it('refuses other state-changing requests from another site too: MCP, memory writes, deletes', async () => {
    const mcp = await post(
      '/mcp',
      { origin: EVIL, 'content-type': 'text/plain' },
      '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    );
    assert.equal(mcp.status, 403);
    const store = await post('/api/memories', { origin: EVIL, 'content-type': 'application/json' }, '{"content":"x"}');
    assert.equal(store.status, 403);
    const hash = 'a'.repeat(64);
    const remove = await fetch(`${api.url}/api/memories/${hash}`, { method: 'DELETE', headers: { origin: EVIL } });
    assert.equal(remove.status, 403);
    assert.equal((await api.request('GET', '/api/memories')).body.total, 0);
  });

  it("accepts the server's own pages, the configured origins and clients that send no Origin", async () => {
    const own = await post('/api/import', { origin: api.url });
    assert.equal(own.status, 202, await own.text());
    const configured = await post('/api/import', { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' });
    assert.equal(configured.status, 202);
    const cli = await post('/api/import', {});
    assert.equal(cli.status, 202);
    const typed = await post('/api/import', { 'sec-fetch-site': 'same-origin' });
    assert.equal(typed.status, 202);
    const read = await fetch(`${api.url}/api/memories`, { headers: { origin: EVIL } });
    assert.equal(read.status, 200, 'reads are left to CORS: the page cannot see the answer');
  });

  it('leaves servers with credentials alone: a key is never sent by a browser on its own', async () => {
    const keyed = await startTestApp({ MCP_API_KEY: 'cross-site-key-0123456789' });
    try {
      const response = await fetch(`${keyed.url}/api/memories`, {
        method: 'POST',
        headers: { origin: EVIL, 'content-type': 'application/json', 'x-api-key': 'cross-site-key-0123456789' },
        body: JSON.stringify({ content: 'sent by a client that holds the key' }),
      });
      assert.equal(response.status, 201);
    } finally {
      await keyed.close();
    }
  });
});
