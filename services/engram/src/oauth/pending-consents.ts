import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthorizationRequest } from './oauth.service';

const TTL_MS = 10 * 60_000;
const MAX_PENDING = 1000;

interface Pending {
  request: AuthorizationRequest;
  csrf: string;
  expiresAt: number;
}

/**
 * Authorization requests waiting for the operator, by an unguessable id; each carries the CSRF token
 * its form must return. Bounded in number and age.
 */
export class PendingConsents {
  private readonly pending = new Map<string, Pending>();

  open(request: AuthorizationRequest, now = Date.now()): { requestId: string; csrf: string } {
    for (const [id, entry] of this.pending) if (entry.expiresAt <= now) this.pending.delete(id);
    if (this.pending.size >= MAX_PENDING) {
      const [oldest] = this.pending.keys();
      this.pending.delete(oldest);
    }
    const requestId = randomBytes(16).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    this.pending.set(requestId, { request, csrf, expiresAt: now + TTL_MS });
    return { requestId, csrf };
  }

  /** The request when the id is live and the CSRF token matches; otherwise undefined. */
  check(requestId: string, csrf: string, now = Date.now()): AuthorizationRequest | undefined {
    const entry = this.pending.get(requestId);
    if (!entry || entry.expiresAt <= now) return undefined;
    const expected = Buffer.from(entry.csrf);
    const presented = Buffer.from(csrf);
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return undefined;
    return entry.request;
  }

  close(requestId: string): void {
    this.pending.delete(requestId);
  }
}
