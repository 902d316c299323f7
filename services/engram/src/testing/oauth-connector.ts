import { OAuthStore } from '../storage/oauth.store';

/** The client id of the connector `addConnectorWithToken` writes. */
export const CONNECTOR_CLIENT_ID = 'b2c1f7e0-0000-4000-8000-000000000001';
const HOUR = 3_600_000;

/**
 * Writes an approved connector ("CLI connector") holding one access token of namespace `work`, live for an
 * hour from `now`, through the store's own port: what the CLI's OAuth commands list and revoke.
 */
export async function addConnectorWithToken(oauth: OAuthStore, now = Date.now()): Promise<void> {
  await oauth.insertClient({
    clientId: CONNECTOR_CLIENT_ID,
    secretHash: null,
    metadata: {
      redirect_uris: ['https://connector.example.com/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      client_name: 'CLI connector',
    },
    createdAt: now,
    source: 'registration',
    grantedAt: now,
  });
  await oauth.insertToken({
    tokenHash: 'digest',
    kind: 'access',
    clientId: CONNECTOR_CLIENT_ID,
    familyId: 'family',
    scopes: ['read'],
    namespace: 'work',
    audience: 'http://127.0.0.1/mcp',
    createdAt: now,
    grantedAt: now,
    expiresAt: now + HOUR,
    rotatedAt: null,
    revokedAt: null,
  });
}
