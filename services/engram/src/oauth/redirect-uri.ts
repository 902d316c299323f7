const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Redirect URIs a client may register: https, http on a loopback address (native apps, RFC 8252 §7.3),
 * or a private-use scheme in reverse-domain form (`com.example.app:/callback`, RFC 8252 §7.1). Never a
 * fragment. Returns the problem, or undefined when acceptable.
 */
export function redirectUriProblem(uri: string): string | undefined {
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
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(parsed.protocol)) return undefined;
  return `${uri}: use https, http on a loopback address, or a reverse-domain private scheme`;
}

/**
 * Exact match against the registered URIs, except that a loopback http URI may differ in port only
 * (native apps pick a free port at run time, RFC 8252 §7.3).
 */
export function redirectUriMatches(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true;
  let asked: URL;
  try {
    asked = new URL(requested);
  } catch {
    return false;
  }
  if (asked.protocol !== 'http:' || !LOOPBACK_HOSTS.has(asked.hostname)) return false;
  return registered.some((candidate) => {
    const known = new URL(candidate);
    return (
      known.protocol === 'http:' &&
      known.hostname === asked.hostname &&
      known.pathname === asked.pathname &&
      known.search === asked.search
    );
  });
}
