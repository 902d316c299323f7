/**
 * Vectors of the target model are written here while search keeps using the live ones; progress is
 * the staged rows themselves, so a restarted job continues where the killed one stopped. A staged
 * vector is valid only for the content it was computed from (content_hash), so edits made during the
 * reindex are embedded again before the switch.
 */
export const STAGING_SCHEMA = `
  CREATE TABLE IF NOT EXISTS reindex_target (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    model     TEXT    NOT NULL,
    dimension INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS reindex_vectors (
    memory_id    INTEGER PRIMARY KEY,
    content_hash TEXT    NOT NULL,
    embedding    BLOB    NOT NULL
  );
`;

/** Live memories without a staged vector of their current content, oldest id first. */
export const PENDING_WHERE = `m.deleted_at IS NULL AND (r.memory_id IS NULL OR r.content_hash <> m.content_hash)`;
export const PENDING_FROM = `memories m LEFT JOIN reindex_vectors r ON r.memory_id = m.id`;
