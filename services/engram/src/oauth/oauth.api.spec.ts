import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { callTool } from '../testing/mcp-client';
import { consentInBrowser, oauthPost, startOAuthTestApp } from '../testing/oauth-flow';
import { OAuthService } from './oauth.service';
import { publicClient, TestConnector } from '../testing/test-connector';
import { TestApp } from '../testing/test-app';

const ADMIN_KEY = 'operator-admin-key-0123456789';
const REDIRECT = 'http://127.0.0.1:9/callback';
const connector = () => new TestConnector(publicClient('Test connector', REDIRECT));

describe('OAuth 2.1 for MCP connectors', () => {
  let api: TestApp;
  let base: string;

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY, { ENGRAM_OAUTH_OPEN_REGISTRATION: 'true' });
    base = api.url;
  });
  after(() => api.close());

  /** The operator's browser: load the consent page, sign in, approve; returns the redirect's query. */
  const consent = (
    authorizationUrl: URL,
    choices: { credential?: string; scopes?: string[]; namespace?: string; action?: 'approve' | 'deny' } = {},
  ) => consentInBrowser(base, authorizationUrl, { credential: ADMIN_KEY, ...choices });

  async function connectWithOAuth(provider: TestConnector, choices = {}): Promise<Client> {
    const first = new StreamableHTTPClientTransport(new URL('/mcp', base), { authProvider: provider });
    await assert.rejects(new Client({ name: 'connector', version: '1' }).connect(first), UnauthorizedError);
    assert.ok(provider.authorizationUrl, 'the SDK was sent to the authorization endpoint');
    const { status, params } = await consent(provider.authorizationUrl!, choices);
    assert.equal(status, 303);
    assert.equal(params.get('iss'), base);
    await first.finishAuth(params.get('code')!);
    const client = new Client({ name: 'connector', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base), { authProvider: provider }));
    return client;
  }

  const tokenRequest = (form: Record<string, string>) => oauthPost(`${base}/oauth/token`, form);

  it('publishes protected-resource and authorization-server metadata, and points 401s from /mcp at them', async () => {
    const resource = (await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json()) as any;
    assert.equal(resource.resource, `${base}/mcp`);
    assert.deepEqual(resource.authorization_servers, [base]);
    const server = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as any;
    assert.equal(server.issuer, base);
    assert.deepEqual(server.code_challenge_methods_supported, ['S256']);
    assert.equal(server.registration_endpoint, `${base}/oauth/register`);
    const unauthorized = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(unauthorized.status, 401);
    assert.equal(
      unauthorized.headers.get('www-authenticate'),
      `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="read write"`,
    );
  });

  it('runs the whole flow with the SDK client: register, authorize with PKCE, token, tools, refresh, revoke', async () => {
    const provider = connector();
    const client = await connectWithOAuth(provider);
    assert.ok(provider.client?.client_id, 'registered dynamically');
    const stored = await callTool(client, 'memory_store', { content: 'stored by an OAuth connector' });
    assert.equal(stored.structured.created, true);
    await client.close();

    const refreshed = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: provider.saved!.refresh_token!,
      client_id: provider.client!.client_id,
    });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body.access_token, provider.saved!.access_token);
    assert.equal(refreshed.body.scope, 'read write');

    const revoke = await fetch(`${base}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: refreshed.body.access_token, client_id: provider.client!.client_id }),
    });
    assert.equal(revoke.status, 200);
    const afterRevoke = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${refreshed.body.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(afterRevoke.status, 401);
  });

  it('revokes the whole family when a rotated refresh token is used again', async () => {
    const provider = connector();
    (await connectWithOAuth(provider)).close();
    const clientId = provider.client!.client_id;
    const first = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: provider.saved!.refresh_token!,
      client_id: clientId,
    });
    assert.equal(first.status, 200);
    const reuse = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: provider.saved!.refresh_token!,
      client_id: clientId,
    });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    const successor = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token,
      client_id: clientId,
    });
    assert.equal(successor.body.error, 'invalid_grant', 'the rotated-to token died with its family');
    const mcp = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.body.access_token}` },
    });
    assert.equal(mcp.status, 401);
  });

  it('refuses a wrong PKCE verifier, a reused code, and a refresh that adds scopes', async () => {
    const provider = connector();
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), { authProvider: provider });
    await assert.rejects(new Client({ name: 'c', version: '1' }).connect(transport), UnauthorizedError);
    const { params } = await consent(provider.authorizationUrl!, { scopes: ['read'] });
    const code = params.get('code')!;
    const clientId = provider.client!.client_id;
    const exchange = (verifier: string) =>
      tokenRequest({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        client_id: clientId,
      });

    const wrong = await exchange('x'.repeat(43));
    assert.equal(wrong.body.error, 'invalid_grant');
    assert.match(wrong.body.error_description, /already used|code_verifier/);

    // A fresh code: exchange it once, then again.
    const second = connector();
    second.client = provider.client;
    const t2 = new StreamableHTTPClientTransport(new URL('/mcp', base), { authProvider: second });
    await assert.rejects(new Client({ name: 'c', version: '1' }).connect(t2), UnauthorizedError);
    const fresh = (await consent(second.authorizationUrl!, { scopes: ['read'] })).params.get('code')!;
    const ok = await tokenRequest({
      grant_type: 'authorization_code',
      code: fresh,
      code_verifier: second.verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.scope, 'read');
    const replay = await tokenRequest({
      grant_type: 'authorization_code',
      code: fresh,
      code_verifier: second.verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
    });
    assert.equal(replay.body.error, 'invalid_grant');
    const revokedByReplay = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ok.body.access_token}` },
    });
    assert.equal(revokedByReplay.status, 401, 'tokens from a replayed code are revoked');

    const escalate = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: ok.body.refresh_token,
      client_id: clientId,
      scope: 'read write',
    });
    assert.ok(['invalid_scope', 'invalid_grant'].includes(escalate.body.error));
  });

  it('shows an error page (never a redirect) for an unknown client or an unregistered redirect URI', async () => {
    const registered: any = await (
      await fetch(`${base}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://connector.example.com/callback'] }),
      })
    ).json();
    const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
    const query = (redirect: string) =>
      `client_id=${registered.client_id}&redirect_uri=${encodeURIComponent(redirect)}&response_type=code&code_challenge=${challenge}&code_challenge_method=S256`;
    const mismatch = await fetch(`${base}/oauth/authorize?${query('https://evil.example.com/callback')}`, {
      redirect: 'manual',
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.headers.get('location'), null);
    const prefix = await fetch(`${base}/oauth/authorize?${query('https://connector.example.com/callback/x')}`, {
      redirect: 'manual',
    });
    assert.equal(prefix.status, 400);
    const unknown = await fetch(`${base}/oauth/authorize?client_id=nope&response_type=code`, { redirect: 'manual' });
    assert.equal(unknown.status, 400);

    // This client was never approved: its bad requests get the error page too (RFC 9700 §4.11.2).
    const noPkce = await fetch(
      `${base}/oauth/authorize?client_id=${registered.client_id}&redirect_uri=${encodeURIComponent('https://connector.example.com/callback')}&response_type=code&state=s1`,
      { redirect: 'manual' },
    );
    assert.equal(noPkce.status, 400);
    assert.equal(noPkce.headers.get('location'), null);
    assert.match(await noPkce.text(), /PKCE is required/);
  });

  it('answers a 100 KiB registration from anyone 413 naming the limit, registering nothing', async () => {
    const response = await fetch(`${base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'n'.repeat(100 * 1024) }),
    });
    assert.equal(response.status, 413);
    const body = (await response.json()) as any;
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /larger than 65536 bytes, the limit of POST \/oauth\/register/);
    const listed = await fetch(`${base}/api/admin/oauth/clients`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal((await listed.text()).includes('nnnnnnnn'), false, 'no client was registered');
  });

  it('coverage: refuses code_challenge_method=plain with the error page, never a redirect', async () => {
    const registered: any = await (
      await fetch(`${base}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://plain.example.com/callback'] }),
      })
    ).json();
    // A plain challenge is the verifier itself: a valid-looking 43-character one, refused for its method alone.
    const plain = await fetch(
      `${base}/oauth/authorize?client_id=${registered.client_id}&redirect_uri=${encodeURIComponent('https://plain.example.com/callback')}&response_type=code&state=s2&code_challenge=${'v'.repeat(43)}&code_challenge_method=plain`,
      { redirect: 'manual' },
    );
    assert.equal(plain.status, 400);
    assert.equal(plain.headers.get('location'), null);
    assert.match(await plain.text(), /code_challenge_method=S256/);
  });

  it('refuses registrations with unsafe redirect URIs', async () => {
    for (const uri of [
      'http://connector.example.com/callback',
      'https://x.example.com/cb#frag',
      'javascript:alert(1)',
    ]) {
      const response = await fetch(`${base}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [uri] }),
      });
      assert.equal(response.status, 400, uri);
      assert.equal(((await response.json()) as any).error, 'invalid_redirect_uri');
    }
  });

  it('needs the operator credential and the form’s CSRF token to approve', async () => {
    const provider = connector();
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), { authProvider: provider });
    await assert.rejects(new Client({ name: 'c', version: '1' }).connect(transport), UnauthorizedError);
    const wrong = await consent(provider.authorizationUrl!, { credential: 'not-the-admin-key-000' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.params.get('code'), null);
    assert.match(wrong.html, /not right/);
    assert.match(wrong.html, /<label>Admin API key\s*<input type="password"/, 'with no password set, a key signs in');

    const forged = await fetch(`${base}/oauth/authorize`, {
      method: 'POST',
      body: new URLSearchParams({
        request_id: 'guess',
        csrf: 'guess',
        action: 'approve',
        credential: ADMIN_KEY,
        scope: 'read',
      }),
      redirect: 'manual',
    });
    assert.equal(forged.status, 400);
    assert.equal(forged.headers.get('location'), null);
    // Not a form the page sent: fields holding objects or numbers (they reached the consent lookup: a 500).
    for (const body of [{ request_id: { a: 1 }, csrf: { b: 2 } }, { request_id: ['x', 1], csrf: 5 }, ['x'], 'text']) {
      const odd = await api.request('POST', '/oauth/authorize', { body });
      assert.equal(odd.status, 400, JSON.stringify(body));
      assert.match(odd.text, /This consent form expired or was not issued by this server/);
    }

    const denied = await consent(provider.authorizationUrl!, { action: 'deny' });
    assert.equal(denied.params.get('error'), 'access_denied');
  });

  it('lets the operator list connectors and cut one off', async () => {
    const provider = connector();
    (await connectWithOAuth(provider)).close();
    const clientId = provider.client!.client_id;
    const admin = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };
    const listed = await api.request('GET', '/api/admin/oauth/clients', admin);
    const entry = listed.body.clients.find((client: { client_id: string }) => client.client_id === clientId);
    assert.equal(entry.client_name, 'Test connector');
    assert.equal(entry.active_tokens, 1);
    assert.deepEqual(entry.namespaces, ['default']);

    const revoked = await api.request('DELETE', `/api/admin/oauth/clients/${clientId}`, admin);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.revoked_tokens, 2);
    const mcp = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${provider.saved!.access_token}` },
    });
    assert.equal(mcp.status, 401);
    const refresh = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: provider.saved!.refresh_token!,
      client_id: clientId,
    });
    assert.equal(refresh.body.error, 'invalid_grant');
  });

  it('offers only the scopes the client asked for, ignoring ones it does not define', async () => {
    const provider = connector();
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), { authProvider: provider });
    await assert.rejects(new Client({ name: 'c', version: '1' }).connect(transport), UnauthorizedError);
    const url = new URL(provider.authorizationUrl!);
    url.searchParams.set('scope', 'openid read offline_access');
    const page = await (await fetch(url)).text();
    assert.match(page, /value="read"/);
    assert.doesNotMatch(page, /value="write"/);
    const { params } = await consent(url, { scopes: ['read', 'write'] });
    const tokens = await tokenRequest({
      grant_type: 'authorization_code',
      code: params.get('code')!,
      code_verifier: provider.verifier,
      redirect_uri: REDIRECT,
      client_id: provider.client!.client_id,
    });
    assert.equal(tokens.body.scope, 'read', 'a ticked box the client did not ask for grants nothing');
  });

  it('confines a token to its namespace and to the MCP endpoint', async () => {
    await api.request('POST', '/api/memories', {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      body: { content: 'a default-namespace secret' },
    });
    const provider = connector();
    const client = await connectWithOAuth(provider, { namespace: 'connector-x', scopes: ['read'] });
    try {
      const search = await callTool(client, 'memory_search', { query: 'default-namespace secret' });
      assert.equal(search.structured.total_found, 0);
      // A write is refused with a step-up challenge (mcp-step-up.api.spec.ts); the v1 SDK client refreshes
      // its token instead of asking for the scope, so it reports the second 403 (docs/mcp.md).
      await assert.rejects(callTool(client, 'memory_store', { content: 'read-only token' }), /403/);
    } finally {
      await client.close();
    }
    const oauth = api.app.get(OAuthService);
    const token = provider.saved!.access_token;
    assert.ok(await oauth.resolve(token, `${base}/mcp`), 'live now');
    assert.equal(
      await oauth.resolve(token, `${base}/mcp`, Date.now() + 3601_000),
      undefined,
      'expired after its lifetime',
    );
    assert.equal(await oauth.resolve(token, 'https://other.example.com/mcp'), undefined, 'not for another audience');
    const rest = await api.request('GET', '/api/memories', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(rest.status, 401, 'an MCP-audience token does not open the REST API');
  });
});
