import { Migration } from './migration';

/**
 * The journal of the agent's memory files (agent-file-journal.ts): each change of a file in MEMORY_DIR
 * with its time, actor, kind, diff and the whole content it left, the last KEPT_VERSIONS per file.
 */
export const agentFileVersionsMigration: Migration = {
  version: 22,
  name: 'agent-file-versions',
  sql: `
    CREATE TABLE agent_file_versions (
      id        INTEGER PRIMARY KEY AUTOINCREMENT, -- ids never reused: a version id names one version
      namespace TEXT    NOT NULL,
      path      TEXT    NOT NULL, -- relative to the memory root, '/' separators
      at        INTEGER NOT NULL, -- epoch ms
      actor     TEXT    NOT NULL CHECK (actor IN ('agent', 'import', 'hand_edit', 'revert', 'restore')),
      kind      TEXT    NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
      size      INTEGER NOT NULL,
      diff      TEXT,             -- unified diff against the previous version; NULL when too large
      content   BLOB,             -- the file after the change; NULL when deleted
      digest    TEXT              -- SHA-256 of content, hex; NULL when deleted
    );
    CREATE INDEX agent_file_versions_file ON agent_file_versions (namespace, path, id);
  `,
};
