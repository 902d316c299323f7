import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  OAuthTokens,
} from '@modelcontextprotocol/client';

/**
 * An MCP client's side of OAuth for tests: it keeps in memory what the SDK hands it, and leaves the browser
 * step to the test, which reads `authorizationUrl`. Given a `clientMetadataUrl`, the SDK uses that client ID
 * metadata document instead of registering. Fits the v1 SDK's provider as well as the v2 one.
 */
export class TestConnector implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrl?: URL;
  discovery?: OAuthDiscoveryState;

  constructor(
    readonly clientMetadata: OAuthClientMetadata,
    readonly clientMetadataUrl?: string,
  ) {}

  get redirectUrl() {
    return this.clientMetadata.redirect_uris[0];
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
}

/** A public client (no secret) that asks for codes and refreshes, as desktop connectors do. */
export function publicClient(clientName: string, redirectUri: string): OAuthClientMetadata {
  return {
    client_name: clientName,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}
