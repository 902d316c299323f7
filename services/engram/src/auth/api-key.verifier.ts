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
  const authorization = single(headers.authorization);
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return bearer ?? single(headers['x-api-key'])?.trim();
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
