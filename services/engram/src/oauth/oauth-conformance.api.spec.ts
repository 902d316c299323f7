import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { secretDigest } from '../auth/secrets';
import { OAuthStore } from '../storage/oauth.store';
import { callTool } from '../testing/mcp-client';
import { consentInBrowser, oauthPost, pkcePair, startOAuthTestApp } from '../testing/oauth-flow';
import { startTestApp, TestApp } from '../testing/test-app';
import { OAuthService } from './oauth.service';

const ADMIN_KEY = 'conformance-admin-key-0123456789';
const CURSOR_REDIRECT = 'cursor://anysphere.cursor-mcp/oauth/callback';
const WEB_REDIRECT = 'https://connector.example.com/callback';
const DAY_MS = 86_400_000;
/** RFC 6749 §5.2: the characters an error_description may hold (%x20-21 / %x23-5B / %x5D-7E). */
const ERROR_DESCRIPTION_CHARACTERS = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The authorization server checked point by point against the RFCs it claims, through the real HTTP
 * server. Each test names the rule; together they are the conformance suite that stands in for a
 * certified library (docs/architecture.md explains the choice).
 */
describe('OAuth conformance (open registration)', () => {
  let api: TestApp;
  let base: string;

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY, { ENGRAM_OAUTH_OPEN_REGISTRATION: 'true' });
    base = api.url;
  });
  after(() => api.close());

  async function register(metadata: Record<string, unknown>) {
    const response = await api.request('POST', '/oauth/register', { body: metadata });
    assert.equal(response.status, 201, response.text);
    return response.body as { client_id: string; client_secret?: string };
  }

  function authorizeUrl(clientId: string, redirectUri: string, extra: Record<string, string> = {}) {
    const url = new URL('/oauth/authorize', base);
    for (const [name, value] of Object.entries({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      code_challenge_method: 'S256',
      state: 'state-1',
      ...extra,
    })) {
      url.searchParams.set(name, value);
    }
    return url;
  }

  /**
   * Registration, consent and code exchange (a client_secret_post client sends its secret); returns the
   * registered client, the consent outcome and the token response.
   */
  async function grant(metadata: Record<string, unknown> = {}, scopes?: string[], extra: Record<string, string> = {}) {
    const redirectUri = ((metadata.redirect_uris as string[] | undefined) ?? [WEB_REDIRECT])[0];
    const client = await register({ redirect_uris: [redirectUri], ...metadata });
    const pkce = pkcePair();
    const consent = await consentInBrowser(
      base,
      authorizeUrl(client.client_id, redirectUri, { code_challenge: pkce.challenge, ...extra }),
      { credential: ADMIN_KEY, scopes },
    );
    assert.equal(consent.status, 303, consent.html);
    const tokens = await token({
      grant_type: 'authorization_code',
      code: consent.params.get('code')!,
      code_verifier: pkce.verifier,
      redirect_uri: redirectUri,
      client_id: client.client_id,
      ...(client.client_secret ? { client_secret: client.client_secret } : {}),
    });
    return { client, consent, tokens };
  }

  function token(form: Record<string, string>, headers: Record<string, string> = {}) {
    return oauthPost(`${base}/oauth/token`, form, headers);
  }
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  it('RFC 8252 §7.1: registers a private-use scheme without a dot (Cursor) and completes the flow to an MCP call', async () => {
    const { consent, tokens } = await grant({ client_name: 'Cursor', redirect_uris: [CURSOR_REDIRECT] });
    assert.ok(consent.location?.startsWith(`${CURSOR_REDIRECT}?`), consent.location);
    assert.equal(consent.params.get('iss'), base);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const mcp = new Client({ name: 'cursor', version: '1' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', base), {
        requestInit: { headers: { authorization: `Bearer ${tokens.body.access_token}` } },
      }),
    );
    try {
      const stored = await callTool(mcp, 'memory_store', { content: 'stored from Cursor over OAuth' });
      assert.equal(stored.structured.created, true);
    } finally {
      await mcp.close();
    }
  });

  it('RFC 8414 §2: the metadata names query as the only response mode, as the omitted field would also claim fragment', async () => {
    const metadata = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as any;
    assert.deepEqual(metadata.response_modes_supported, ['query']);
    const { consent } = await grant({}, undefined, { response_mode: 'fragment' });
    assert.equal(new URL(consent.location!).hash, '', 'the code comes in the query whatever response_mode asks');
    assert.ok(consent.params.get('code'));
  });

  it('RFC 8252 §8 / RFC 9700: refuses redirect URIs a browser would run or read itself', async () => {
    for (const uri of [
      'javascript:alert(1)',
      'data:text/html,x',
      'file:///etc/passwd',
      'vbscript:x',
      'about:blank',
      'blob:https://a.example/1',
    ]) {
      const response = await api.request('POST', '/oauth/register', { body: { redirect_uris: [uri] } });
      assert.equal(response.status, 400, uri);
      assert.equal(response.body.error, 'invalid_redirect_uri', uri);
    }
  });

  it('RFC 7591 §2: registration metadata is bounded: an oversized redirect URI or type list stores nothing and is quoted in part only', async () => {
    const stored = async () =>
      (await api.request('GET', '/api/admin/oauth/clients', { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).body
        .clients.length;
    const before = await stored();
    // Oversized, yet within the 64 KiB the route reads (a larger body is a 413, body-limits.api.spec).
    const oversized: [Record<string, unknown>, string][] = [
      [{ redirect_uris: [`https://connector.example.com/${'a'.repeat(50_000)}`] }, 'invalid_redirect_uri'],
      [
        { redirect_uris: [WEB_REDIRECT], grant_types: Array(2_000).fill('authorization_code') },
        'invalid_client_metadata',
      ],
      [
        { redirect_uris: [WEB_REDIRECT], grant_types: ['authorization_code', 'x'.repeat(50_000)] },
        'invalid_client_metadata',
      ],
    ];
    for (const [metadata, error] of oversized) {
      const response = await api.request('POST', '/oauth/register', { body: metadata });
      assert.equal(response.status, 400, response.text.slice(0, 200));
      assert.equal(response.body.error, error);
      assert.ok(response.text.length < 1000, `an answer of ${response.text.length} characters`);
    }
    assert.equal(await stored(), before, 'no client was stored');
  });

  it('RFC 9700 §4.1.1 / RFC 8252 §7.3: a loopback redirect URI may differ from the registered one in its port only', async () => {
    const client = await register({ redirect_uris: ['http://127.0.0.1/callback'] });
    const { challenge } = pkcePair();
    const page = (redirectUri: string) =>
      fetch(authorizeUrl(client.client_id, redirectUri, { code_challenge: challenge }), { redirect: 'manual' });
    assert.equal((await page('http://127.0.0.1:51234/callback')).status, 200, 'any port is the registered URI');
    for (const redirectUri of [
      'http://127.0.0.1:51234/callback#fragment',
      'http://user@127.0.0.1:51234/callback',
      'HTTP://127.0.0.1:51234/callback',
      'http://127.0.0.1:51234/other/../callback',
      'http://127.0.0.1:51234/callback?extra=1',
      'http://localhost:51234/callback',
    ]) {
      const refused = await page(redirectUri);
      assert.equal(refused.status, 400, redirectUri);
      assert.equal(refused.headers.get('location'), null);
      assert.match(await refused.text(), /redirect_uri does not match a registered redirect URI/, redirectUri);
    }
  });

  it('RFC 9207 §2: error redirects carry iss, as codes do', async () => {
    const { client } = await grant();
    const response = await fetch(authorizeUrl(client.client_id, WEB_REDIRECT), { redirect: 'manual' });
    assert.equal(response.status, 303);
    const params = new URL(response.headers.get('location')!).searchParams;
    assert.equal(params.get('error'), 'invalid_request');
    assert.equal(params.get('state'), 'state-1');
    assert.equal(params.get('iss'), base);
  });

  it('RFC 6749 §4.1.2.1: an unsupported response_type is unsupported_response_type, a missing one invalid_request', async () => {
    const { client } = await grant();
    const { challenge } = pkcePair();
    for (const [responseType, error] of [
      ['token', 'unsupported_response_type'],
      ['code id_token', 'unsupported_response_type'],
      ['', 'invalid_request'],
    ]) {
      const url = authorizeUrl(client.client_id, WEB_REDIRECT, {
        code_challenge: challenge,
        response_type: responseType,
      });
      const response = await fetch(url, { redirect: 'manual' });
      assert.equal(response.status, 303, responseType);
      const params = new URL(response.headers.get('location')!).searchParams;
      assert.equal(params.get('error'), error, responseType);
      assert.equal(params.get('state'), 'state-1');
      assert.match(params.get('error_description')!, ERROR_DESCRIPTION_CHARACTERS, responseType);
    }
  });

  it('RFC 6749 §5.2 / RFC 7591 §3.2.2: error_description holds printable ASCII without " or \\, even quoting what was sent', async () => {
    for (const metadata of [
      { redirect_uris: ['javascript:alert("engram")'] },
      { redirect_uris: ['file:///C:\\Windows\\win.ini'] },
      { redirect_uris: [`https://connector.example.com/${'ä'.repeat(2_100)}`] },
      { redirect_uris: [WEB_REDIRECT], token_endpoint_auth_method: 'private_key_jwt' },
      { redirect_uris: [WEB_REDIRECT], grant_types: ['authorization_code', 'urn:"quoted"\\grant'] },
    ]) {
      const response = await api.request('POST', '/oauth/register', { body: metadata });
      assert.equal(response.status, 400, response.text.slice(0, 200));
      assert.match(response.body.error_description, ERROR_DESCRIPTION_CHARACTERS, response.body.error_description);
    }
  });

  it('RFC 9700 §4.11.2: a client never approved gets the error page, never a redirect, for a bad request', async () => {
    const client = await register({ redirect_uris: ['https://phish.example.com/land'] });
    const response = await fetch(authorizeUrl(client.client_id, 'https://phish.example.com/land'), {
      redirect: 'manual',
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
    assert.match(await response.text(), /PKCE is required/);
  });

  it('RFC 6749 §6: a narrower scope on refresh narrows the access token only; the refresh token keeps the grant', async () => {
    const { client, tokens } = await grant();
    const narrowed = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token,
      client_id: client.client_id,
      scope: 'read',
    });
    assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
    assert.equal(narrowed.body.scope, 'read');
    const next = await token({
      grant_type: 'refresh_token',
      refresh_token: narrowed.body.refresh_token,
      client_id: client.client_id,
    });
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.equal(next.body.scope, 'read write');
  });

  it('RFC 6749 §6: a scope of spaces only on refresh is invalid_scope, and the refresh token still works', async () => {
    const { client, tokens } = await grant();
    const blank = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token,
      client_id: client.client_id,
      scope: '  ',
    });
    assert.equal(blank.status, 400);
    assert.equal(blank.body.error, 'invalid_scope');
    const again = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token,
      client_id: client.client_id,
    });
    assert.equal(again.status, 200, 'a refused refresh does not use the token up');
  });

  it('RFC 6749 §3.2 / OAuth 2.1 §3.2: a token request parameter sent without a value is treated as omitted', async () => {
    const client = await register({ redirect_uris: [WEB_REDIRECT] });
    const pkce = pkcePair();
    const consent = await consentInBrowser(
      base,
      authorizeUrl(client.client_id, WEB_REDIRECT, { code_challenge: pkce.challenge }),
      { credential: ADMIN_KEY },
    );
    const unset = { redirect_uri: '', resource: '', scope: '', client_secret: '' };
    const issued = await token({
      grant_type: 'authorization_code',
      code: consent.params.get('code')!,
      code_verifier: pkce.verifier,
      client_id: client.client_id,
      ...unset,
    });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: issued.body.refresh_token,
      client_id: client.client_id,
      ...unset,
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.scope, 'read write', 'an empty scope keeps the granted scopes');
  });

  it('RFC 8707 §2.2: a refresh for another resource is invalid_target, and the refresh token still works for this one', async () => {
    const { client, tokens } = await grant();
    const refresh = (resource: string) =>
      token({
        grant_type: 'refresh_token',
        refresh_token: tokens.body.refresh_token,
        client_id: client.client_id,
        resource,
      });
    const foreign = await refresh('https://other.example.com/mcp');
    assert.equal(foreign.status, 400, JSON.stringify(foreign.body));
    assert.equal(foreign.body.error, 'invalid_target');
    assert.equal(foreign.body.access_token, undefined);
    const ours = await refresh(`${base}/mcp`);
    assert.equal(ours.status, 200, 'a refused refresh does not use the token up');
    assert.equal(await mcpStatus(ours.body.access_token), 200);
  });

  it('RFC 6749 §3.1 / RFC 8707: a parameter given twice is refused, never read as absent or as its first value', async () => {
    const client = await register({ redirect_uris: [WEB_REDIRECT] });
    const { challenge } = pkcePair();
    for (const [name, values, shown] of [
      ['resource', ['https://other.example.com/a', 'https://other.example.com/b'], 'resource is given more than once'],
      ['scope', ['read', 'read'], 'scope is given more than once'],
      ['client_id', [client.client_id, client.client_id], 'client_id is given more than once'],
    ] as const) {
      const url = authorizeUrl(client.client_id, WEB_REDIRECT, { code_challenge: challenge });
      url.searchParams.delete(name);
      for (const value of values) url.searchParams.append(name, value);
      const page = await fetch(url, { redirect: 'manual' });
      assert.equal(page.status, 400, name);
      assert.equal(page.headers.get('location'), null);
      assert.match(await page.text(), new RegExp(shown));
    }
    const { client: approved, tokens } = await grant();
    const refresh = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token,
      client_id: approved.client_id,
    });
    refresh.append('resource', `${base}/mcp`);
    refresh.append('resource', 'https://other.example.com/mcp');
    const twice = await fetch(`${base}/oauth/token`, { method: 'POST', body: refresh });
    const answer = (await twice.json()) as { error: string; access_token?: string };
    assert.equal(twice.status, 400, JSON.stringify(answer));
    assert.equal(answer.error, 'invalid_target');
    assert.equal(answer.access_token, undefined);
    refresh.delete('resource');
    assert.equal((await fetch(`${base}/oauth/token`, { method: 'POST', body: refresh })).status, 200);
  });

  it('RFC 6749 §2.3.1: client_secret_basic credentials are form-urlencoded before base64', async () => {
    const registered = await register({
      redirect_uris: [WEB_REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    // Every character of the id and the secret percent-encoded: a form-urlencoded decoder reads them back.
    const encode = (value: string) => [...value].map((char) => `%${char.charCodeAt(0).toString(16)}`).join('');
    const accepted = await token(
      { grant_type: 'refresh_token', refresh_token: 'egr_unknown' },
      { authorization: basic(encode(registered.client_id), encode(registered.client_secret!)) },
    );
    assert.equal(accepted.status, 400, 'authenticated; the refresh token itself is what is wrong');
    assert.equal(accepted.body.error, 'invalid_grant');
  });

  it('RFC 6749 §2.3.1, §5.2: a malformed Basic header is 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const registered = await register({
      redirect_uris: [WEB_REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    for (const authorization of [
      basic(registered.client_id, '%E0%A4%A'),
      basic('%zz', 'secret'),
      'Basic not*base64',
      basic(registered.client_id, 'wrong-secret'),
    ]) {
      const answer = await token({ grant_type: 'refresh_token', refresh_token: 'egr_x' }, { authorization });
      assert.equal(answer.status, 401, authorization);
      assert.equal(answer.body.error, 'invalid_client');
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Basic /);
    }
  });

  it('RFC 6749 §3.2: token and revocation take a form or a JSON object of strings; any other body is invalid_request', async () => {
    const confidential = await register({
      redirect_uris: [WEB_REDIRECT],
      token_endpoint_auth_method: 'client_secret_post',
    });
    const client = { client_id: confidential.client_id };
    for (const path of ['/oauth/token', '/oauth/revoke']) {
      for (const body of [
        // A JSON string was spread into a field per character: 4 MB took 17 s to refuse (now the route reads
        // at most 64 KiB, a larger body being a 413).
        'm'.repeat(60_000),
        ['grant_type', 'refresh_token'],
        42,
        { grant_type: 'refresh_token', refresh_token: 'egr_x', ...client, client_secret: { a: 1 } },
        { token: { a: 1 }, ...client, client_secret: confidential.client_secret },
      ]) {
        const answer = await api.request('POST', path, { body });
        assert.equal(answer.status, 400, `${path}: ${answer.text.slice(0, 200)}`);
        assert.equal(answer.body.error, 'invalid_request');
        assert.match(answer.body.error_description, /application\/x-www-form-urlencoded form|must be a string/);
      }
    }
  });

  it('RFC 6749 §5.2: a request refused before the endpoint reads it is answered invalid_request with error_description, never cached', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const [path, headers, body, status] of [
      ['/oauth/token', { 'content-type': 'text/plain' }, 'grant_type=refresh_token', 415],
      ['/oauth/token', form, 'grant_type=refresh_token%00', 400],
      ['/oauth/revoke', form, `token=${'t'.repeat(70_000)}`, 413],
      ['/oauth/register', { 'content-type': 'application/json' }, '{"redirect_uris": [', 400],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method: 'POST', headers, body });
      const answer = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, status, `${path}: ${JSON.stringify(answer)}`);
      assert.equal(answer.error, 'invalid_request', path);
      assert.match(String(answer.error_description), ERROR_DESCRIPTION_CHARACTERS, path);
      assert.equal(response.headers.get('cache-control'), 'no-store', path);
      assert.equal(response.headers.get('pragma'), 'no-cache', path);
    }
  });

  it('RFC 7591 §2: a client authenticates only by its registered token_endpoint_auth_method', async () => {
    const postClient = await register({
      redirect_uris: [WEB_REDIRECT],
      token_endpoint_auth_method: 'client_secret_post',
    });
    const viaBasic = await token(
      { grant_type: 'refresh_token', refresh_token: 'egr_x' },
      { authorization: basic(postClient.client_id, postClient.client_secret!) },
    );
    assert.equal(viaBasic.status, 401);
    assert.match(viaBasic.body.error_description, /client_secret_post/);
    const basicClient = await register({
      redirect_uris: [WEB_REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const viaForm = await token({
      grant_type: 'refresh_token',
      refresh_token: 'egr_x',
      client_id: basicClient.client_id,
      client_secret: basicClient.client_secret!,
    });
    assert.equal(viaForm.status, 401);
    const withoutSecret = await token({
      grant_type: 'refresh_token',
      refresh_token: 'egr_x',
      client_id: basicClient.client_id,
    });
    assert.equal(withoutSecret.status, 401, 'a confidential client cannot pass as a public one');
  });

  it('RFC 7591 §2: a client registered without the refresh_token grant gets no refresh token and cannot use one', async () => {
    const { client, tokens } = await grant({ grant_types: ['authorization_code'] });
    assert.equal(tokens.status, 200);
    assert.equal(tokens.body.refresh_token, undefined);
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: 'egr_x', client_id: client.client_id });
    assert.equal(refresh.status, 400);
    assert.equal(refresh.body.error, 'unauthorized_client');
  });

  it('RFC 7009 §2.1: revocation authenticates a confidential client before revoking its token', async () => {
    const { client: confidential, tokens: issued } = await grant({ token_endpoint_auth_method: 'client_secret_post' });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const unauthenticated = await oauthPost(`${base}/oauth/revoke`, {
      token: issued.body.access_token,
      client_id: confidential.client_id,
    });
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.body.error, 'invalid_client');
    assert.equal(await mcpStatus(issued.body.access_token), 200, 'the token still works');
    const revoked = await oauthPost(`${base}/oauth/revoke`, {
      token: issued.body.access_token,
      client_id: confidential.client_id,
      client_secret: confidential.client_secret!,
    });
    assert.equal(revoked.status, 200);
    assert.equal(await mcpStatus(issued.body.access_token), 401);
  });

  async function mcpStatus(accessToken: string): Promise<number> {
    const response = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    await response.body?.cancel();
    return response.status;
  }

  it('refresh families end ENGRAM_OAUTH_GRANT_MAX_DAYS after the approval, however often they rotate', async () => {
    const { client, tokens } = await grant();
    const oauth = api.app.get(OAuthService);
    const presented = { clientId: client.client_id, method: 'none' as const };
    const day = (n: number) => Date.now() + n * DAY_MS;
    let refreshToken: string = tokens.body.refresh_token;
    for (const at of [25, 50, 75]) {
      const rotated = await oauth.token(
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        presented,
        day(at),
      );
      refreshToken = rotated.refresh_token!;
    }
    await assert.rejects(
      oauth.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, presented, day(90.1)),
      /maximum age|expired/,
    );
  });

  it('deletes registrations nobody approved within a day; approved clients stay', async () => {
    const idle = await register({ redirect_uris: [WEB_REDIRECT] });
    const { client: approved } = await grant();
    const oauth = api.app.get(OAuthService);
    await oauth.register({ redirect_uris: [WEB_REDIRECT] }, Date.now() + 2 * DAY_MS);
    const listed: { client_id: string }[] = await oauth.listClients();
    assert.ok(!listed.some((entry) => entry.client_id === idle.client_id), 'the idle registration is gone');
    assert.ok(
      listed.some((entry) => entry.client_id === approved.client_id),
      'the approved client stays',
    );
    const page = await fetch(authorizeUrl(idle.client_id, WEB_REDIRECT), { redirect: 'manual' });
    assert.equal(page.status, 400);
  });

  it('RFC 9728 §3.3: the root metadata names the origin, the /mcp one names /mcp; a token asked for either opens /mcp', async () => {
    const root = (await (await fetch(`${base}/.well-known/oauth-protected-resource`)).json()) as any;
    assert.equal(root.resource, base);
    const mcp = (await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json()) as any;
    assert.equal(mcp.resource, `${base}/mcp`);
    const client = await register({ redirect_uris: [WEB_REDIRECT] });
    const pkce = pkcePair();
    const consent = await consentInBrowser(
      base,
      authorizeUrl(client.client_id, WEB_REDIRECT, { code_challenge: pkce.challenge, resource: base }),
      { credential: ADMIN_KEY },
    );
    const issued = await token({
      grant_type: 'authorization_code',
      code: consent.params.get('code')!,
      code_verifier: pkce.verifier,
      redirect_uri: WEB_REDIRECT,
      client_id: client.client_id,
      resource: base,
    });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(await mcpStatus(issued.body.access_token), 200);
  });

  it('RFC 8707 / MCP 2026-07-28: a resource is compared as a URI: upper-case scheme, the origin with its "/", not a fragment', async () => {
    const client = await register({ redirect_uris: [WEB_REDIRECT] });
    const upperCase = `${base.replace('http://', 'HTTP://')}/mcp`;
    const authorize = (resource: string, pkce = pkcePair()) =>
      authorizeUrl(client.client_id, WEB_REDIRECT, { code_challenge: pkce.challenge, resource });
    for (const [asked, sent] of [
      [upperCase, `${base}/mcp`],
      [`${base}/`, base],
    ]) {
      const pkce = pkcePair();
      const consent = await consentInBrowser(base, authorize(asked, pkce), { credential: ADMIN_KEY });
      assert.equal(consent.status, 303, `${asked}: ${consent.html.slice(0, 300)}`);
      const issued = await token({
        grant_type: 'authorization_code',
        code: consent.params.get('code')!,
        code_verifier: pkce.verifier,
        client_id: client.client_id,
        resource: sent,
      });
      assert.equal(issued.status, 200, `${asked}: ${JSON.stringify(issued.body)}`);
      assert.equal(await mcpStatus(issued.body.access_token), 200);
      const refreshed = await token({
        grant_type: 'refresh_token',
        refresh_token: issued.body.refresh_token,
        client_id: client.client_id,
        resource: asked,
      });
      assert.equal(refreshed.status, 200, `${asked}: ${JSON.stringify(refreshed.body)}`);
    }
    for (const other of [`${base}/mcp#fragment`, `${base}/mcp/`, `${base}/MCP`]) {
      const refused = await fetch(authorize(other), { redirect: 'manual' });
      assert.equal(refused.status, 303, other);
      const params = new URL(refused.headers.get('location')!).searchParams;
      assert.equal(params.get('error'), 'invalid_target', other);
    }
  });

  it('RFC 6750 §3 / MCP 2026-07-28: the 401 from /mcp names the metadata and scopes, and invalid_token when one was sent', async () => {
    const missing = await fetch(`${base}/mcp`, { method: 'POST' });
    assert.equal(missing.status, 401);
    const challenge = missing.headers.get('www-authenticate')!;
    assert.match(challenge, new RegExp(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`));
    assert.match(challenge, /scope="read write"/);
    assert.doesNotMatch(challenge, /error=/);
    const refused = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: 'Bearer ega_not-a-token' },
    });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate')!, /^Bearer error="invalid_token", resource_metadata=/);
  });

  it('MCP resources need the read scope like tools: a token without scopes reads nothing', async () => {
    const { client } = await grant();
    // A scope-less token, as the old empty-scope refresh could leave behind in a database.
    const accessToken = 'ega_conformance-token-without-scopes';
    await api.app.get(OAuthStore).insertToken({
      tokenHash: secretDigest(accessToken),
      kind: 'access',
      clientId: client.client_id,
      familyId: 'scope-less',
      scopes: [],
      namespace: 'default',
      audience: `${base}/mcp`,
      createdAt: Date.now(),
      grantedAt: Date.now(),
      expiresAt: Date.now() + 3_600_000,
      rotatedAt: null,
      revokedAt: null,
    });
    const mcp = new Client({ name: 'scope-less', version: '1' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', base), {
        requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
      }),
    );
    try {
      // Refused before they run with a step-up challenge (403 insufficient_scope naming read).
      const challenged = (what: string) => new RegExp(`insufficient_scope.*${what} needs the read scope`);
      await assert.rejects(mcp.readResource({ uri: 'memory://stats' }), challenged('memory://stats'));
      await assert.rejects(mcp.readResource({ uri: 'memory://recent/5' }), challenged('memory://recent/\\{n\\}'));
      await assert.rejects(callTool(mcp, 'memory_search', { query: 'anything' }), challenged('memory_search'));
    } finally {
      await mcp.close();
    }
  });
});

describe('OAuth registration defaults', () => {
  let api: TestApp;
  let base: string;

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY);
    base = api.url;
  });
  after(() => api.close());

  it('keeps dynamic registration closed and offers client ID metadata documents instead', async () => {
    const metadata = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as any;
    assert.equal(metadata.registration_endpoint, undefined);
    assert.equal(metadata.client_id_metadata_document_supported, true);
    const attempt = await api.request('POST', '/oauth/register', { body: { redirect_uris: [WEB_REDIRECT] } });
    assert.equal(attempt.status, 403);
    assert.equal(attempt.body.error, 'access_denied');
    assert.match(attempt.body.error_description, /client ID metadata document/);
  });
});

describe('OAuth off on a server with an API key', () => {
  let api: TestApp;

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: ADMIN_KEY });
  });
  after(() => api.close());

  it('answers 404 for the OAuth discovery documents and tells /mcp clients to send an API key', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]) {
      assert.equal((await api.request('GET', path)).status, 404, path);
    }
    const mcp = await api.request('POST', '/mcp', { body: {} });
    assert.equal(mcp.status, 401);
    assert.match(mcp.body.message, /API key/);
    assert.doesNotMatch(mcp.headers.get('www-authenticate') ?? '', /resource_metadata/);
  });
});

describe('OAuth with browser origins allowed (MCP_CORS_ORIGINS)', () => {
  const origin = 'https://inspector.example.com';
  let api: TestApp;

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY, { MCP_CORS_ORIGINS: origin });
  });
  after(() => api.close());

  it('OAuth 2.1 §3.1: the authorization endpoint answers no CORS request; the token endpoint and metadata still do', async () => {
    const allowed = (response: Response) => response.headers.get('access-control-allow-origin');
    const preflight = (path: string, method: string) =>
      fetch(`${api.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method },
      });
    const page = await fetch(`${api.url}/oauth/authorize?client_id=unknown`, { headers: { origin } });
    assert.equal(page.status, 400);
    assert.equal(allowed(page), null, 'a page of another origin cannot read the consent form');
    assert.equal(allowed(await preflight('/oauth/authorize', 'GET')), null);
    assert.equal(allowed(await preflight('/oauth/authorize', 'POST')), null);
    assert.equal(allowed(await preflight('/oauth/token', 'POST')), origin);
    const token = await oauthPost(`${api.url}/oauth/token`, { grant_type: 'refresh_token' }, { origin });
    assert.equal(token.headers.get('access-control-allow-origin'), origin);
    const metadata = await fetch(`${api.url}/.well-known/oauth-authorization-server`, { headers: { origin } });
    assert.equal(allowed(metadata), origin);
  });
});
