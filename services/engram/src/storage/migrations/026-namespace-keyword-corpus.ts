import { Migration } from './migration';

/**
 * The length in tokens FTS5 recorded for a memory: its docsize entry (`d.sz`) holds one SQLite varint per
 * column (7 bits a byte, big-endian, high bit set on all but the last), decoded here in SQL for up to
 * four bytes (2^28 tokens, far past ENGRAM_MAX_CONTENT_BYTES's 16 MiB) from the blob's hex digits.
 */
function docsizeTokens(): string {
  const byte = (i: number) =>
    `((instr('0123456789ABCDEF', substr(hex(d.sz), ${2 * i - 1}, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(hex(d.sz), ${2 * i}, 1)) - 1)`;
  const [b1, b2, b3, b4] = [1, 2, 3, 4].map(byte);
  return `CASE WHEN ${b1} < 128 THEN ${b1}
    WHEN ${b2} < 128 THEN (${b1} - 128) * 128 + ${b2}
    WHEN ${b3} < 128 THEN ((${b1} - 128) * 128 + ${b2} - 128) * 128 + ${b3}
    ELSE (((${b1} - 128) * 128 + ${b2} - 128) * 128 + ${b3} - 128) * 128 + ${b4} END`;
}

const COUNT_NEW = `
  INSERT INTO memories_keyword_corpus (namespace, documents, tokens)
    SELECT new.namespace, 1, ${docsizeTokens()} FROM memories_fts_docsize d WHERE d.id = new.id AND new.deleted_at IS NULL
    ON CONFLICT (namespace) DO UPDATE SET documents = documents + 1, tokens = tokens + excluded.tokens;`;

const UNCOUNT_OLD = `
  UPDATE memories_keyword_corpus SET documents = documents - 1,
    tokens = tokens - coalesce((SELECT ${docsizeTokens()} FROM memories_fts_docsize d WHERE d.id = old.id), 0)
    WHERE namespace = old.namespace AND old.deleted_at IS NULL;`;

/**
 * Each namespace's keyword corpus: how many live memories it holds and their total length in index tokens,
 * kept by the keyword index's own triggers in the same transaction as every write. Keyword scores are BM25
 * over the searcher's namespace alone (sqlite-keyword-ranking.ts): over the whole store, a score would move
 * when another namespace writes, telling one tenant how many of another's memories hold a word. Lengths are
 * read from FTS5's docsize entries, so they are the lengths its bm25() uses. The old entry is uncounted
 * before the keyword index forgets it, the new one counted after the index has it; a memory moved to
 * another namespace (nothing does that today) moves its count with it.
 */
export const namespaceKeywordCorpusMigration: Migration = {
  version: 26,
  name: 'namespace-keyword-corpus',
  sql: `
    CREATE TABLE memories_keyword_corpus (
      namespace TEXT PRIMARY KEY,
      documents INTEGER NOT NULL,
      tokens    INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO memories_keyword_corpus (namespace, documents, tokens)
      SELECT m.namespace, count(*), sum(${docsizeTokens()})
      FROM memories m JOIN memories_fts_docsize d ON d.id = m.id WHERE m.deleted_at IS NULL GROUP BY m.namespace;
    DROP TRIGGER memories_fts_insert;
    DROP TRIGGER memories_fts_update;
    DROP TRIGGER memories_fts_delete;
    CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories WHEN new.deleted_at IS NULL BEGIN
      INSERT INTO memories_fts (rowid, content) VALUES (new.id, new.content);
      ${COUNT_NEW}
    END;
    CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, deleted_at, namespace ON memories BEGIN
      ${UNCOUNT_OLD}
      INSERT INTO memories_fts (memories_fts, rowid, content)
        SELECT 'delete', old.id, old.content WHERE old.deleted_at IS NULL;
      INSERT INTO memories_fts (rowid, content) SELECT new.id, new.content WHERE new.deleted_at IS NULL;
      ${COUNT_NEW}
    END;
    CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories WHEN old.deleted_at IS NULL BEGIN
      ${UNCOUNT_OLD}
      INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END;
  `,
};
