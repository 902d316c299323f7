import { Migration } from './migration';

/**
 * Memories, their tags, their embeddings and the keyword index. The quantised vector index (vec0) is
 * sized by the embedding model's dimension, so it is created once the model is known, not here.
 */
export const memoriesMigration: Migration = {
  version: 1,
  name: 'memories',
  sql: `
    CREATE TABLE memories (
      id           INTEGER PRIMARY KEY,
      namespace    TEXT    NOT NULL DEFAULT 'default',
      content_hash TEXT    NOT NULL,
      content      TEXT    NOT NULL,
      memory_type  TEXT    NOT NULL,
      metadata     TEXT    NOT NULL DEFAULT '{}',
      created_at   INTEGER NOT NULL, -- epoch milliseconds
      updated_at   INTEGER NOT NULL,
      deleted_at   INTEGER
    );
    -- A deleted text can be stored again: uniqueness holds among live rows only.
    CREATE UNIQUE INDEX memories_live_hash ON memories (namespace, content_hash) WHERE deleted_at IS NULL;
    CREATE INDEX memories_live_created ON memories (namespace, created_at) WHERE deleted_at IS NULL;
    CREATE INDEX memories_live_type ON memories (namespace, memory_type, created_at) WHERE deleted_at IS NULL;
    CREATE INDEX memories_deleted ON memories (deleted_at) WHERE deleted_at IS NOT NULL;

    CREATE TABLE memory_tags (
      memory_id INTEGER NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
      tag       TEXT    NOT NULL,
      PRIMARY KEY (memory_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX memory_tags_by_tag ON memory_tags (tag, memory_id);

    -- Keyword index over live memories only, kept in sync by triggers.
    CREATE VIRTUAL TABLE memories_fts USING fts5 (
      content, content = 'memories', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories WHEN new.deleted_at IS NULL BEGIN
      INSERT INTO memories_fts (rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER memories_fts_unindex AFTER UPDATE OF content, deleted_at ON memories
      WHEN old.deleted_at IS NULL BEGIN
      INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END;
    CREATE TRIGGER memories_fts_reindex AFTER UPDATE OF content, deleted_at ON memories
      WHEN new.deleted_at IS NULL BEGIN
      INSERT INTO memories_fts (rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories WHEN old.deleted_at IS NULL BEGIN
      INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END;

    -- Full-precision embeddings (float32 blobs) of live memories: exact scoring and re-scoring.
    CREATE TABLE memory_embeddings (
      memory_id INTEGER PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
      embedding BLOB    NOT NULL
    );

    -- Embedding model id and dimension, checked at every start.
    CREATE TABLE settings (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) WITHOUT ROWID;
  `,
};
