import { Migration } from './migration';

/**
 * Credentials: API keys and OAuth clients, grants and tokens. Secrets are stored as SHA-256 digests
 * only; a leaked database does not leak a usable key or token.
 */
export const authMigration: Migration = {
  version: 10,
  name: 'auth',
  sql: `
    CREATE TABLE api_keys (
      id           TEXT    PRIMARY KEY,
      name         TEXT    NOT NULL,
      secret_hash  TEXT    NOT NULL UNIQUE,
      prefix       TEXT    NOT NULL, -- first characters, so people can tell keys apart
      scopes       TEXT    NOT NULL, -- space-separated
      namespace    TEXT,             -- NULL: not bound to one namespace
      created_at   INTEGER NOT NULL, -- epoch milliseconds
      last_used_at INTEGER,
      expires_at   INTEGER,
      revoked_at   INTEGER
    );

    CREATE TABLE oauth_clients (
      client_id          TEXT    PRIMARY KEY,
      secret_hash        TEXT,             -- NULL for public clients (PKCE only)
      metadata           TEXT    NOT NULL, -- the registered client metadata, JSON
      created_at         INTEGER NOT NULL
    );

    CREATE TABLE oauth_codes (
      code_hash      TEXT    PRIMARY KEY,
      client_id      TEXT    NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
      redirect_uri   TEXT    NOT NULL,
      code_challenge TEXT    NOT NULL,
      scopes         TEXT    NOT NULL,
      namespace      TEXT    NOT NULL,
      resource       TEXT    NOT NULL,
      expires_at     INTEGER NOT NULL,
      used_at        INTEGER,
      family_id      TEXT    NOT NULL -- the token family its exchange starts (revoked on code reuse)
    );

    -- Access and refresh tokens. A family is everything issued from one authorization: reusing a
    -- rotated refresh token revokes the whole family.
    CREATE TABLE oauth_tokens (
      token_hash   TEXT    PRIMARY KEY,
      kind         TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
      client_id    TEXT    NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
      family_id    TEXT    NOT NULL,
      scopes       TEXT    NOT NULL,
      namespace    TEXT    NOT NULL,
      audience     TEXT    NOT NULL,
      created_at   INTEGER NOT NULL,
      expires_at   INTEGER NOT NULL,
      rotated_at   INTEGER, -- refresh tokens: when exchanged for a new one
      revoked_at   INTEGER
    );
    CREATE INDEX oauth_tokens_family ON oauth_tokens (family_id);
  `,
};
