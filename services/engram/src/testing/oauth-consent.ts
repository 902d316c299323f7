import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

export const TEST_REDIRECT = 'http://127.0.0.1:9/callback';

export interface ConsentOutcome {
  clientId: string;
  verifier: string;
  /** The authorization code, when the operator's sign-in was accepted. */
  code: string | null;
  /** What the consent form's POST answered: 303 approved, 401 wrong credential, 429 limited. */
  status: number;
}

/**
 * A connector's dynamic registration and the operator's consent as a browser does them (PKCE S256,
 * scope read), every request sent with `headers` (e.g. an X-Forwarded-For through a trusted proxy).
 */
export async function registerAndConsent(
  base: string,
  credential: string,
  headers: Record<string, string> = {},
): Promise<ConsentOutcome> {
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
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: TEST_REDIRECT,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 's',
    scope: 'read',
  });
  const page = await (await fetch(`${base}/oauth/authorize?${query}`, { headers })).text();
  const approval = await fetch(`${base}/oauth/authorize`, {
    method: 'POST',
    headers,
    redirect: 'manual',
    body: new URLSearchParams({
      request_id: /name="request_id" value="([^"]+)"/.exec(page)![1],
      csrf: /name="csrf" value="([^"]+)"/.exec(page)![1],
      action: 'approve',
      credential,
      namespace: 'default',
      scope: 'read',
    }),
  });
  const code = new URL(approval.headers.get('location') ?? `${base}/`).searchParams.get('code');
  return { clientId, verifier, code, status: approval.status };
}
