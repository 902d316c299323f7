import { z } from 'zod';
import { OAuthError } from './oauth.errors';
import { RegisteredMetadata } from '../storage/oauth.store';
import { redirectUriProblem } from './redirect-uri';

export const SUPPORTED_GRANT_TYPES = ['authorization_code', 'refresh_token'];

/**
 * A client_id that names a client ID metadata document: an https URL with a path, no fragment, no
 * user info and no dot segments. It must be written in normal form, since the document's own
 * `client_id` is compared with it as a plain string.
 */
export function isMetadataDocumentUrl(clientId: string): boolean {
  return clientId.startsWith('https://');
}

export function metadataDocumentUrl(clientId: string): URL {
  const refuse = (why: string) => new OAuthError('invalid_client', `client_id ${clientId}: ${why}`);
  if (!URL.canParse(clientId)) throw refuse('is not a URL');
  const url = new URL(clientId);
  if (url.protocol !== 'https:') throw refuse('a client metadata document is served over https');
  if (url.username !== '' || url.password !== '') throw refuse('must not carry a user name or password');
  if (clientId.includes('#')) throw refuse('must not have a fragment');
  if (url.pathname === '/') throw refuse('must have a path naming the document');
  if (/\/\.\.?(\/|$)/.test(clientId.split('?')[0])) throw refuse('must not have "." or ".." path segments');
  if (url.href !== clientId) throw refuse(`is not in normal form (${url.href})`);
  return url;
}

const MetadataDocument = z
  .object({
    client_id: z.string(),
    client_name: z.string().trim().min(1, 'client_name is required').max(200),
    redirect_uris: z.array(z.string()).min(1, 'redirect_uris must hold at least one URI').max(20),
    token_endpoint_auth_method: z.string().default('none'),
    grant_types: z.array(z.string()).default(['authorization_code']),
    response_types: z.array(z.string()).default(['code']),
    client_uri: z.string().max(2000).optional(),
    scope: z.string().max(200).optional(),
  })
  .passthrough();

/**
 * Checks a fetched document against its URL and Engram's rules: the document's `client_id` is the URL
 * exactly, its redirect URIs are acceptable ones, and the client is public (`none`: a secret cannot be
 * shared through a public document). Returns the metadata Engram keeps for the client.
 */
export function validateMetadataDocument(url: URL, document: unknown): RegisteredMetadata {
  const refuse = (why: string) => new OAuthError('invalid_client', `client metadata document ${url.href}: ${why}`);
  const parsed = MetadataDocument.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw refuse(`${issue.path.join('.') || 'document'}: ${issue.message}`);
  }
  const doc = parsed.data;
  if (doc.client_id !== url.href) throw refuse(`its client_id (${doc.client_id}) is not the document's URL`);
  if ('client_secret' in doc || 'client_secret_expires_at' in doc) throw refuse('must not contain a client secret');
  if (doc.token_endpoint_auth_method !== 'none') {
    throw refuse(`token_endpoint_auth_method ${doc.token_endpoint_auth_method} is not supported; use none (PKCE)`);
  }
  const unsupported = doc.grant_types.find((grant) => !SUPPORTED_GRANT_TYPES.includes(grant));
  if (unsupported) throw refuse(`grant_types: ${unsupported} is not supported`);
  if (!doc.grant_types.includes('authorization_code')) throw refuse('grant_types must include authorization_code');
  if (doc.response_types.some((type) => type !== 'code')) throw refuse("response_types: only 'code' is supported");
  for (const uri of doc.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw refuse(problem);
  }
  return {
    redirect_uris: doc.redirect_uris,
    token_endpoint_auth_method: 'none',
    grant_types: doc.grant_types,
    response_types: doc.response_types,
    client_name: doc.client_name,
    ...(doc.client_uri === undefined ? {} : { client_uri: doc.client_uri }),
    ...(doc.scope === undefined ? {} : { scope: doc.scope }),
  };
}

const MINUTE_MS = 60_000;
/** A document is kept at least this long, whatever its headers say, so a flood of authorization requests
 * naming it cannot turn Engram into a fetch amplifier; and at most a day, so changes reach Engram. */
export const CACHE_BOUNDS_MS = { min: MINUTE_MS, default: 10 * MINUTE_MS, max: 24 * 60 * MINUTE_MS };

/** How long a fetched document is kept: its Cache-Control max-age, within CACHE_BOUNDS_MS. */
export function cacheLifetimeMs(cacheControl: string | undefined): number {
  const directives = (cacheControl ?? '').toLowerCase();
  if (/(^|[\s,])(no-store|no-cache)([\s,]|$)/.test(directives)) return CACHE_BOUNDS_MS.min;
  const maxAge = /(?:^|[\s,])max-age\s*=\s*"?(\d+)/.exec(directives);
  const asked = maxAge ? Number(maxAge[1]) * 1000 : CACHE_BOUNDS_MS.default;
  return Math.min(CACHE_BOUNDS_MS.max, Math.max(CACHE_BOUNDS_MS.min, asked));
}
