import { Migration } from './migration';

/**
 * OAuth approvals as facts of their own: when a client was first approved (clients never approved are
 * pruned, and only approved ones get errors redirected back to them), where a client came from (dynamic
 * registration or a client ID metadata document), and when each token family's approval was given (its
 * absolute lifetime counts from there, however often its refresh token rotates).
 */
export const oauthGrantsMigration: Migration = {
  version: 13,
  name: 'oauth-grants',
  sql: `
    ALTER TABLE oauth_clients ADD COLUMN source TEXT NOT NULL DEFAULT 'registration'
      CHECK (source IN ('registration', 'metadata_document'));
    ALTER TABLE oauth_clients ADD COLUMN granted_at INTEGER; -- first approval; NULL: never approved
    ALTER TABLE oauth_tokens ADD COLUMN granted_at INTEGER;  -- when the family's approval was given

    UPDATE oauth_tokens SET granted_at =
      (SELECT min(family.created_at) FROM oauth_tokens AS family WHERE family.family_id = oauth_tokens.family_id);
    UPDATE oauth_clients SET granted_at = coalesce(
      (SELECT min(created_at) FROM oauth_tokens WHERE oauth_tokens.client_id = oauth_clients.client_id),
      (SELECT min(expires_at) FROM oauth_codes WHERE oauth_codes.client_id = oauth_clients.client_id));
    CREATE INDEX oauth_clients_ungranted ON oauth_clients (created_at) WHERE granted_at IS NULL;
  `,
};
