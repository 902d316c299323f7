import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { secretDigest } from '../auth/secrets';
import { OAuthStore } from '../storage/oauth.store';
import { AuthorizationRequest } from './oauth.service';

const TTL_MS = 10 * 60_000;
/** Store-wide; past it the source holding the most pending consents loses its oldest (OAuthStore.openConsent). */
const MAX_PENDING = 1000;

/** A consent form as handed to the browser: the request's id and the CSRF token the form must return. */
export interface ConsentForm {
  requestId: string;
  csrf: string;
}

/**
 * Authorization requests waiting for the operator, by an unguessable id; each carries the CSRF token
 * its form must return. Kept in the OAuth store, so the replica that receives the form need not be the
 * one that showed it. Bounded in number and age, and shared fairly: each is kept with its `source` (who
 * asked), and a caller opening forms as fast as it can pushes out only its own, never another's.
 */
@Injectable()
export class PendingConsents {
  constructor(private readonly store: OAuthStore) {}

  async open(request: AuthorizationRequest, source: string, now = Date.now()): Promise<ConsentForm> {
    const form = { requestId: randomBytes(16).toString('base64url'), csrf: randomBytes(24).toString('base64url') };
    await this.store.openConsent(
      {
        requestId: form.requestId,
        csrfHash: secretDigest(form.csrf),
        request: JSON.stringify(request),
        expiresAt: now + TTL_MS,
        source,
      },
      now,
      MAX_PENDING,
    );
    return form;
  }

  /** The request when the form is live and its CSRF token matches; it stays pending. */
  async check({ requestId, csrf }: ConsentForm, now = Date.now()): Promise<AuthorizationRequest | undefined> {
    return parsed(await this.store.findConsent(requestId, secretDigest(csrf), now));
  }

  /** Like check, and closes the form: of forms posted at once, on any replica, one gets the request. */
  async take({ requestId, csrf }: ConsentForm, now = Date.now()): Promise<AuthorizationRequest | undefined> {
    return parsed(await this.store.takeConsent(requestId, secretDigest(csrf), now));
  }
}

function parsed(request: string | undefined): AuthorizationRequest | undefined {
  return request === undefined ? undefined : (JSON.parse(request) as AuthorizationRequest);
}
