import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { consentInBrowser, oauthPost, pkcePair, startOAuthTestApp, TEST_REDIRECT } from '../testing/oauth-flow';
import { startTestApp, TestApp } from '../testing/test-app';

const ADMIN_KEY = 'replicas-admin-key-0123456789';

/**
 * Two api processes behind one public URL, sharing one store, as a load balancer without sticky sessions
 * sends a browser and a connector to whichever replica it likes.
 */
describe('OAuth across replicas', () => {
  let first: TestApp;
  let second: TestApp;

  before(async () => {
    first = await startOAuthTestApp(ADMIN_KEY, { ENGRAM_OAUTH_OPEN_REGISTRATION: 'true' });
    second = await startTestApp(
      {
        ENGRAM_PUBLIC_URL: first.url,
        ENGRAM_OAUTH_ENABLED: 'true',
        ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
        MCP_API_KEY: ADMIN_KEY,
      },
      first.dir,
    );
  });
  after(async () => {
    await second.close({ keepDir: true });
    await first.close();
  });

  async function register(on: TestApp): Promise<string> {
    const registered = await on.request('POST', '/oauth/register', {
      body: { redirect_uris: [TEST_REDIRECT], token_endpoint_auth_method: 'none' },
    });
    assert.equal(registered.status, 201);
    return registered.body.client_id;
  }

  function authorizeUrl(on: TestApp, clientId: string, challenge: string): string {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: TEST_REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'replicas',
    });
    return `${on.url}/oauth/authorize?${query}`;
  }

  it('a consent page shown by one replica is approved on the other, and its code is redeemed once across both', async () => {
    const clientId = await register(first);
    const pkce = pkcePair();
    const approved = await consentInBrowser(second.url, authorizeUrl(first, clientId, pkce.challenge), {
      credential: ADMIN_KEY,
    });
    assert.equal(approved.status, 303, approved.html);
    const code = approved.params.get('code')!;
    assert.ok(code);
    const exchange = (on: TestApp) =>
      oauthPost(`${on.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        code_verifier: pkce.verifier,
        client_id: clientId,
        redirect_uri: TEST_REDIRECT,
      });
    const issued = await exchange(first);
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const replayed = await exchange(second);
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.error_description, 'authorization code already used');
    const refreshed = await oauthPost(`${second.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: issued.body.refresh_token,
      client_id: clientId,
    });
    assert.equal(refreshed.status, 400, 'the replay revoked the family the code started');
  });

  it('a consent form posted to both replicas approves once', async () => {
    const clientId = await register(second);
    const page = await fetch(authorizeUrl(second, clientId, pkcePair().challenge));
    const html = await page.text();
    const form = () =>
      new URLSearchParams({
        request_id: /name="request_id" value="([^"]+)"/.exec(html)![1],
        csrf: /name="csrf" value="([^"]+)"/.exec(html)![1],
        action: 'approve',
        credential: ADMIN_KEY,
        namespace: 'default',
        scope: 'read',
      });
    const answers = await Promise.all(
      [first, second].map((on) =>
        fetch(`${on.url}/oauth/authorize`, { method: 'POST', body: form(), redirect: 'manual' }),
      ),
    );
    for (const answer of answers) await answer.body?.cancel();
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [303, 400]);
  });
});
