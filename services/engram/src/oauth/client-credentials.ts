import { textProblem } from '../common/request-text';
import { OAuthError } from './oauth.errors';
import { RegisteredMetadata } from '../storage/oauth.store';

export type ClientAuthMethod = RegisteredMetadata['token_endpoint_auth_method'];

/** What a token or revocation request presented to identify (and authenticate) its client. */
export interface PresentedClient {
  clientId?: string;
  secret?: string;
  method: ClientAuthMethod;
}

/**
 * The client credentials of a request, from exactly one place: HTTP Basic (client_secret_basic), the
 * form body with a secret (client_secret_post), or the form body's client_id alone (public clients).
 * RFC 6749 §2.3.1 forbids more than one method in one request.
 */
export function presentedClient(form: Record<string, string | undefined>, authorization?: string): PresentedClient {
  const basic = /^Basic\s+(.*)$/i.exec(authorization ?? '')?.[1];
  if (basic === undefined) {
    return form.client_secret === undefined
      ? { clientId: form.client_id, method: 'none' }
      : { clientId: form.client_id, secret: form.client_secret, method: 'client_secret_post' };
  }
  const { clientId, secret } = decodeBasicCredentials(basic);
  if (form.client_secret !== undefined) {
    throw new OAuthError('invalid_request', 'send client credentials once: in the Authorization header or the form');
  }
  if (form.client_id !== undefined && form.client_id !== clientId) {
    throw new OAuthError('invalid_request', 'client_id in the form differs from the Authorization header');
  }
  return { clientId, secret, method: 'client_secret_basic' };
}

/**
 * RFC 6749 §2.3.1: the client id and secret are form-urlencoded (Appendix B: `+` is a space, `%XX` an
 * octet) before being joined by a colon and base64-encoded. Anything malformed is a failed client
 * authentication (401), never a server error.
 */
export function decodeBasicCredentials(encoded: string): { clientId: string; secret: string } {
  const malformed = new OAuthError('invalid_client', 'malformed Basic client credentials', 401);
  const token = encoded.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token)) throw malformed;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw malformed;
  let credentials: { clientId: string; secret: string };
  try {
    credentials = { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw malformed;
  }
  // `%00` decodes to a NUL, which no client id or secret holds (and PostgreSQL's lookup failed on, a 500).
  if (textProblem(credentials.clientId) || textProblem(credentials.secret)) throw malformed;
  return credentials;
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}
