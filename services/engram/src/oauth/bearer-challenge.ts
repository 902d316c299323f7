import { OAUTH_SCOPES } from './oauth-scopes';

/** What a 401 says: the WWW-Authenticate challenge and the JSON message. */
export interface Unauthorized {
  challenge: string;
  message: string;
}

/**
 * The 401 of /mcp with OAuth on, as the MCP authorization spec (2026-07-28) describes it: where the
 * protected-resource metadata is (RFC 9728 §5.1), the scopes to ask for (RFC 6750 §3), and
 * `error="invalid_token"` when a token was presented but is not (or no longer) good here.
 */
export function mcpUnauthorized(resourceMetadataUrl: string, tokenPresented: boolean): Unauthorized {
  const error = tokenPresented ? 'error="invalid_token", ' : '';
  return {
    challenge: `Bearer ${error}resource_metadata="${resourceMetadataUrl}", scope="${OAUTH_SCOPES.join(' ')}"`,
    message: tokenPresented
      ? 'The access token or API key is not valid here (expired, revoked, or issued for another resource)'
      : 'Missing credentials: send an OAuth access token or an API key as "Authorization: Bearer <token>"',
  };
}
