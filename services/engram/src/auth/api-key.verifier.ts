import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks presented API keys against the configured one in constant time: both sides are hashed to a
 * fixed length first, so neither content nor length leaks through timing.
 */
export class ApiKeyVerifier {
  private readonly expected: Buffer | undefined;

  constructor(apiKey: string | undefined) {
    this.expected = apiKey === undefined ? undefined : digest(apiKey);
  }

  /** True when no key is configured (open, loopback-only mode). */
  get disabled(): boolean {
    return this.expected === undefined;
  }

  matches(presented: string | undefined): boolean {
    if (this.expected === undefined) return true;
    if (presented === undefined) return false;
    return timingSafeEqual(this.expected, digest(presented));
  }
}

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedApiKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const key = authorizationCredential(headers.authorization, 'Bearer') ?? single(headers['x-api-key'])?.trim();
  return key === '' ? undefined : key;
}

/**
 * The credential of an `Authorization: <scheme> <credential>` header (scheme case-insensitive), or
 * undefined. Plain string operations: header text never meets a backtracking pattern.
 */
export function authorizationCredential(
  header: string | string[] | undefined,
  scheme: 'Bearer' | 'Basic',
): string | undefined {
  const value = single(header);
  if (value === undefined || value.slice(0, scheme.length).toLowerCase() !== scheme.toLowerCase()) return undefined;
  const rest = value.slice(scheme.length);
  if (rest.trimStart().length === rest.length) return undefined; // no space after the scheme
  const credential = rest.trim();
  return credential === '' ? undefined : credential;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
