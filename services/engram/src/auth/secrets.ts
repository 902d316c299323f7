import { createHash, randomBytes } from 'node:crypto';

/** A new random secret with a recognisable prefix (`egk_` keys, `ega_` access tokens, …). */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** What is stored instead of a secret: its SHA-256, hex. Lookups by digest need no constant-time compare. */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
