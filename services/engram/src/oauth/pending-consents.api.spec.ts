import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pkcePair, startOAuthTestApp, TEST_REDIRECT } from '../testing/oauth-flow';
import { TestApp } from '../testing/test-app';

const ADMIN_KEY = 'consents-admin-key-0123456789';
/** The store-wide bound on pending consents (pending-consents.ts): the flood goes past it. */
const MAX_PENDING = 1000;
const OPERATOR = { 'x-forwarded-for': '198.51.100.4' };
const FLOODER = { 'x-forwarded-for': '203.0.113.66' };

/**
 * The consent form is keyed by who asked, through the trusted proxy's X-Forwarded-For. Which consents a
 * full store gives up is the storage contract's (oauth-store-contract.spec.ts, on SQLite and PostgreSQL).
 */
describe('pending consents under a flood from one address', () => {
  let api: TestApp;
  let authorizeUrl: string;

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY, {
      ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
      ENGRAM_TRUSTED_PROXIES: '127.0.0.1',
    });
    const registered = await api.request('POST', '/oauth/register', {
      body: { redirect_uris: [TEST_REDIRECT], token_endpoint_auth_method: 'none' },
    });
    assert.equal(registered.status, 201);
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: registered.body.client_id,
      redirect_uri: TEST_REDIRECT,
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    authorizeUrl = `${api.url}/oauth/authorize?${query}`;
  });
  after(() => api.close());

  const openForm = async (headers: Record<string, string>) => {
    const page = await fetch(authorizeUrl, { headers });
    const html = await page.text();
    assert.equal(page.status, 200, html);
    return {
      request_id: /name="request_id" value="([^"]+)"/.exec(html)![1],
      csrf: /name="csrf" value="([^"]+)"/.exec(html)![1],
    };
  };

  it("keeps the operator's consent form while another address opens more forms than the server keeps", async () => {
    const form = await openForm(OPERATOR);
    for (let opened = 0; opened < MAX_PENDING + 10; opened += 10) {
      await Promise.all(Array.from({ length: 10 }, () => openForm(FLOODER)));
    }
    const approval = new URLSearchParams({ ...form, action: 'approve', credential: ADMIN_KEY, scope: 'read' });
    const answer = await fetch(`${api.url}/oauth/authorize`, {
      method: 'POST',
      body: approval,
      redirect: 'manual',
      headers: OPERATOR,
    });
    assert.equal(answer.status, 303, await answer.text());
    assert.ok(new URL(answer.headers.get('location')!).searchParams.get('code'));
  });
});
