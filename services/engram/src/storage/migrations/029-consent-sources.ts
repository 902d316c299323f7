import { Migration } from './migration';

/**
 * Who asked for each pending consent (the client address, an IPv6 /64), so that when the store-wide
 * bound is reached the source holding the most loses its oldest: before, the oldest of all went, and one
 * caller opening consent pages as fast as it could pushed every other caller's out before the operator
 * could approve it. Consents pending at the upgrade share the empty source; they expire within minutes.
 */
export const consentSourcesMigration: Migration = {
  version: 29,
  name: 'consent-sources',
  sql: `
    ALTER TABLE oauth_pending_consents ADD COLUMN source TEXT NOT NULL DEFAULT '';
    CREATE INDEX oauth_pending_consents_source ON oauth_pending_consents (source, expires_at);
  `,
};
