import { Migration } from './migration';

/**
 * Authorization requests waiting for the operator's consent, in the database rather than one process's
 * memory: the consent page one api process shows can be approved through another. The CSRF token its
 * form must return is kept only as a SHA-256 digest.
 */
export const oauthPendingConsentsMigration: Migration = {
  version: 20,
  name: 'oauth-pending-consents',
  sql: `
    CREATE TABLE oauth_pending_consents (
      request_id            TEXT    PRIMARY KEY,
      csrf_hash             TEXT    NOT NULL,
      authorization_request TEXT    NOT NULL, -- JSON
      expires_at            INTEGER NOT NULL  -- epoch milliseconds
    );
    CREATE INDEX oauth_pending_consents_expires ON oauth_pending_consents (expires_at);
  `,
};
