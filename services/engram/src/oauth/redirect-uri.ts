const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** The scheme and loopback host of a redirect URI as written, and its port: the one part that may vary. */
const LOOPBACK_AUTHORITY = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::\d{1,5})?(?=[/?#]|$)/;
/** Real clients' redirect URIs are a few dozen characters; the bound keeps a stored client small. */
const MAX_REDIRECT_URI_LENGTH = 2000;

/**
 * Schemes a browser runs, reads locally or treats as a document of its own: a redirect there would run
 * the client's "callback" as script or read a local file, never hand a code to an app.
 */
const DANGEROUS_SCHEMES = new Set([
  'javascript:',
  'vbscript:',
  'data:',
  'file:',
  'about:',
  'blob:',
  'filesystem:',
  'view-source:',
]);

/**
 * Redirect URIs a client may register: https, http on a loopback address (native apps, RFC 8252 §7.3),
 * or a private-use scheme (RFC 8252 §7.1, e.g. `cursor://anysphere.cursor-mcp/oauth/callback` or
 * `com.example.app:/callback`; the reverse-domain form is recommended there, not required). Never a
 * fragment, never a scheme a browser would run or read itself, never longer than MAX_REDIRECT_URI_LENGTH.
 * Returns the problem, or undefined.
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length > MAX_REDIRECT_URI_LENGTH) {
    return `${uri.slice(0, 60)}… is longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  }
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return `${uri} is not a URL`;
  }
  if (parsed.hash !== '' || uri.includes('#')) return `${uri} must not have a fragment`;
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(parsed.hostname)
      ? undefined
      : `${uri}: plain http is allowed for loopback addresses only`;
  }
  if (DANGEROUS_SCHEMES.has(parsed.protocol)) return `${uri}: the ${parsed.protocol} scheme is not a redirect target`;
  if (/^[a-z][a-z0-9+.-]*:$/.test(parsed.protocol)) return undefined;
  return `${uri}: use https, http on a loopback address, or an app's private-use scheme`;
}

/**
 * Exact match against the registered URIs (RFC 6749 §3.1.2.3, simple string comparison), except that a
 * loopback http URI may differ in its port only (native apps pick a free port at run time, RFC 8252 §7.3)
 * unless `exact` is asked for (metadata documents list their URIs exactly). Everything but the port is
 * compared as written: a fragment, user info or another spelling of the path is another URI.
 */
export function redirectUriMatches(requested: string, registered: readonly string[], exact = false): boolean {
  if (registered.includes(requested)) return true;
  if (exact || !URL.canParse(requested)) return false;
  const asked = withoutLoopbackPort(requested);
  return asked !== undefined && registered.some((candidate) => withoutLoopbackPort(candidate) === asked);
}

/** A loopback http URI with its port taken out, nothing else changed; undefined for any other URI. */
function withoutLoopbackPort(uri: string): string | undefined {
  return LOOPBACK_AUTHORITY.test(uri) ? uri.replace(LOOPBACK_AUTHORITY, 'http://$1') : undefined;
}
