import { Migration } from './migration';

/**
 * The audit log: who did what to the store's security-relevant state, from where, and how it went.
 * Never secrets or memory content; a restore leaves it as it is (history is not rewritten).
 */
export const auditMigration: Migration = {
  version: 15,
  name: 'audit',
  sql: `
    CREATE TABLE audit_events (
      id             INTEGER PRIMARY KEY AUTOINCREMENT,
      at             INTEGER NOT NULL, -- epoch milliseconds
      action         TEXT    NOT NULL, -- e.g. key.create, restore, oauth.approve
      outcome        TEXT    NOT NULL, -- requested, success, failure, denied
      principal_kind TEXT    NOT NULL, -- bootstrap, api_key, oauth, anonymous, local
      principal_id   TEXT    NOT NULL, -- key id, OAuth client id, or the kind
      principal_name TEXT,             -- the key's or the client's name
      namespace      TEXT,             -- NULL: the whole store
      client_address TEXT    NOT NULL, -- through the trusted proxies; 'local' outside HTTP
      target         TEXT,             -- what was acted on: a key, a client, a job, a backup
      details        TEXT              -- JSON: small facts (counts, ids, scopes), never content
    );
    CREATE INDEX audit_events_at ON audit_events (at);
    CREATE INDEX audit_events_action ON audit_events (action, id);
    CREATE INDEX audit_events_principal ON audit_events (principal_id, id);
    CREATE INDEX audit_events_namespace ON audit_events (namespace, id);
  `,
};
