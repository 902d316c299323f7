/** An error the OAuth endpoints answer in the RFC 6749 / 7591 shape: `{error, error_description}`. */
export class OAuthError extends Error {
  /** The error_description sent: the text given, within the characters OAuth allows there. */
  readonly description: string;

  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'invalid_grant'
      | 'unauthorized_client'
      | 'unsupported_grant_type'
      | 'unsupported_response_type'
      | 'invalid_scope'
      | 'invalid_target'
      | 'invalid_redirect_uri'
      | 'invalid_client_metadata'
      | 'access_denied'
      | 'slow_down',
    description: string,
    readonly status = 400,
  ) {
    super(describable(description));
    this.description = this.message;
  }

  /** The JSON answer, in RFC 6749 §5.2's shape. */
  get body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/**
 * RFC 6749 §4.1.2.1 and §5.2: an error_description holds printable ASCII other than `"` and `\`. A
 * description quoting what the client sent (a URI, a metadata value, a schema message) is brought within
 * that set rather than sent as a value clients may refuse to parse.
 */
function describable(text: string): string {
  return text
    .replace(/"/g, "'")
    .replace(/…/g, '...')
    .replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
}

/** RFC 6749 §3.1: a parameter given more than once is refused, never read as absent or as its first value. */
export function repeatedParameter(name: string): OAuthError {
  // RFC 8707 lets a client name several resources; tokens here are for one, so that is the resource's error.
  return name === 'resource'
    ? new OAuthError('invalid_target', 'resource is given more than once; tokens here are for one resource')
    : new OAuthError('invalid_request', `${name} is given more than once`);
}
