/** An error the OAuth endpoints answer in the RFC 6749 / 7591 shape: `{error, error_description}`. */
export class OAuthError extends Error {
  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'invalid_grant'
      | 'unauthorized_client'
      | 'unsupported_grant_type'
      | 'invalid_scope'
      | 'invalid_target'
      | 'invalid_redirect_uri'
      | 'invalid_client_metadata'
      | 'access_denied'
      | 'slow_down',
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}
