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

/** RFC 6749 §3.1: a parameter given more than once is refused, never read as absent or as its first value. */
export function repeatedParameter(name: string): OAuthError {
  // RFC 8707 lets a client name several resources; tokens here are for one, so that is the resource's error.
  return name === 'resource'
    ? new OAuthError('invalid_target', 'resource is given more than once; tokens here are for one resource')
    : new OAuthError('invalid_request', `${name} is given more than once`);
}
