import { SqliteDatabase } from '../storage/sqlite.connection';

/**
 * A full-text table of one namespace's live memories alone (rowid = memory id), tokenized as
 * memories_fts: FTS5's own bm25() over it is BM25 over that namespace, the definition the keyword
 * ranking is held to when other namespaces share the store. A temporary table, built afresh each call;
 * answers its name, for `FROM <name>`, `<name> MATCH` and `bm25(<name>)`.
 */
export function namespaceFullText(db: SqliteDatabase, namespace: string): string {
  const table = `namespace_full_text_${namespace.replace(/[^a-z0-9]/g, '_')}`;
  db.exec(`DROP TABLE IF EXISTS temp.${table}`);
  db.exec(`CREATE VIRTUAL TABLE temp.${table} USING fts5 (content, tokenize = 'porter unicode61 remove_diacritics 2')`);
  db.prepare(
    `INSERT INTO temp.${table} (rowid, content) SELECT id, content FROM memories WHERE namespace = ? AND deleted_at IS NULL`,
  ).run(namespace);
  return table;
}
