import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { freePort } from './redis-server';
import { startTestApp, TestApp } from './test-app';

/**
 * A test api with OAuth on: its issuer is the loopback URL it listens on (`api.url`), and the operator
 * signs in on the consent page with `adminKey`.
 */
export async function startOAuthTestApp(adminKey: string, env: Record<string, string> = {}): Promise<TestApp> {
  const port = await freePort();
  return startTestApp({
    MCP_HTTP_PORT: String(port),
    ENGRAM_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ENGRAM_OAUTH_ENABLED: 'true',
    MCP_API_KEY: adminKey,
    ...env,
  });
}

/** A PKCE verifier and its S256 challenge, as a client makes them. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface ConsentChoices {
  credential: string;
  scopes?: string[];
  namespace?: string;
  action?: 'approve' | 'deny';
  /** Sent with both requests, e.g. the X-Forwarded-For a trusted proxy adds. */
  headers?: Record<string, string>;
}

export interface ConsentOutcome {
  status: number;
  /** The redirect target, when the answer was one. */
  location?: string;
  params: URLSearchParams;
  html: string;
}

/**
 * The operator's browser: loads the consent page at `authorizationUrl`, signs in and approves (or
 * denies); returns where the browser would be sent.
 */
export async function consentInBrowser(
  base: string,
  authorizationUrl: URL | string,
  choices: ConsentChoices,
): Promise<ConsentOutcome> {
  const consent = await loadConsentPage(authorizationUrl, choices.headers);
  const answer = await postConsent(base, consent, choices);
  const location = answer.headers.get('location') ?? undefined;
  return {
    status: answer.status,
    location,
    params: location ? new URL(location).searchParams : new URLSearchParams(),
    html: await answer.text(),
  };
}

/** Loads the consent page as a browser does: the request id and CSRF token its form carries. */
export async function loadConsentPage(
  authorizationUrl: URL | string,
  headers: Record<string, string> = {},
): Promise<{ requestId: string; csrf: string }> {
  const page = await fetch(authorizationUrl, { redirect: 'manual', headers });
  const html = await page.text();
  assert.equal(page.status, 200, html);
  assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  return {
    requestId: /name="request_id" value="([^"]+)"/.exec(html)![1],
    csrf: /name="csrf" value="([^"]+)"/.exec(html)![1],
  };
}

/** Posts a loaded consent form: signs in with `choices.credential` and approves (or denies). */
export function postConsent(
  base: string,
  { requestId, csrf }: { requestId: string; csrf: string },
  choices: ConsentChoices,
): Promise<Response> {
  const form = new URLSearchParams({
    request_id: requestId,
    csrf,
    action: choices.action ?? 'approve',
    credential: choices.credential,
    namespace: choices.namespace ?? 'default',
  });
  for (const scope of choices.scopes ?? ['read', 'write']) form.append('scope', scope);
  return fetch(`${base}/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual', headers: choices.headers });
}

/** A form POST to an OAuth endpoint (token, revoke): status, headers and the parsed JSON body. */
export async function oauthPost(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(form), headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export const TEST_REDIRECT = 'http://127.0.0.1:9/callback';

/**
 * A connector's dynamic registration (the server needs ENGRAM_OAUTH_OPEN_REGISTRATION) and the operator's
 * consent for scope read, every request sent with `headers`; what the token exchange needs next.
 */
export async function registerAndConsent(
  base: string,
  credential: string,
  headers: Record<string, string> = {},
): Promise<{ clientId: string; verifier: string; code: string | null; status: number; html: string }> {
  const { clientId, verifier, authorizationUrl } = await registerConnector(base, headers);
  const consent = await consentInBrowser(base, authorizationUrl, { credential, scopes: ['read'], headers });
  return { clientId, verifier, code: consent.params.get('code'), status: consent.status, html: consent.html };
}

/**
 * A connector's dynamic registration (the server needs ENGRAM_OAUTH_OPEN_REGISTRATION), every request sent
 * with `headers`, and the authorization URL it sends the operator's browser to, for scope read.
 */
export async function registerConnector(
  base: string,
  headers: Record<string, string> = {},
): Promise<{ clientId: string; verifier: string; authorizationUrl: string }> {
  const registered = await fetch(`${base}/oauth/register`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'test connector',
      redirect_uris: [TEST_REDIRECT],
      token_endpoint_auth_method: 'none',
    }),
  });
  assert.equal(registered.status, 201);
  const clientId = ((await registered.json()) as { client_id: string }).client_id;
  const { verifier, challenge } = pkcePair();
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: TEST_REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 's',
    scope: 'read',
  });
  return { clientId, verifier, authorizationUrl: `${base}/oauth/authorize?${query}` };
}
