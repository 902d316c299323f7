import { AgentFileJournal, FileVersion, FileVersionPage, KEPT_VERSIONS, NewFileVersion } from '../agent-file-journal';
import { FileVersionRow, nextVersion, toFileVersion, toVersionPage, VERSION_COLUMNS } from '../agent-file-journal.sql';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';

/** AgentFileJournal on SQLite: the journal of the MEMORY_DIR folder, kept in the database file. */
export class SqliteAgentFileJournal extends AgentFileJournal {
  private readonly statements: PreparedStatements;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly keep = KEPT_VERSIONS,
  ) {
    super();
    this.statements = new PreparedStatements(db);
  }

  async append(namespace: string, version: NewFileVersion): Promise<FileVersion> {
    return this.db.transaction(() => {
      const { path, at, actor, kind, size, diff, content, digest } = version;
      const row = this.statements
        .get(
          `INSERT INTO agent_file_versions (namespace, path, version, at, actor, kind, size, diff, content, digest)
           VALUES (?, ?, ${nextVersion('?', '?')}, ?, ?, ?, ?, ?, ?, ?) RETURNING ${VERSION_COLUMNS}`,
        )
        .get(namespace, path, namespace, path, at, actor, kind, size, diff, content, digest) as FileVersionRow;
      this.statements
        .get(
          `DELETE FROM agent_file_versions WHERE namespace = ? AND path = ? AND id NOT IN (
             SELECT id FROM agent_file_versions WHERE namespace = ? AND path = ? ORDER BY id DESC LIMIT ?)`,
        )
        .run(namespace, path, namespace, path, this.keep);
      return toFileVersion(row);
    })();
  }

  async history(namespace: string, path: string, page: { limit: number; before?: number }): Promise<FileVersionPage> {
    const rows = this.statements
      .get(
        `SELECT ${VERSION_COLUMNS} FROM agent_file_versions
          WHERE namespace = ? AND path = ? AND version < ? ORDER BY version DESC LIMIT ?`,
      )
      .all(namespace, path, page.before ?? Number.MAX_SAFE_INTEGER, page.limit + 1) as FileVersionRow[];
    return toVersionPage(rows, page.limit);
  }

  async version(namespace: string, path: string, id: number) {
    const row = this.statements
      .get(
        `SELECT ${VERSION_COLUMNS}, content FROM agent_file_versions WHERE namespace = ? AND path = ? AND version = ?`,
      )
      .get(namespace, path, id) as (FileVersionRow & { content: Buffer | null }) | undefined;
    return row && { version: toFileVersion(row), content: row.content };
  }

  async heads(namespace: string): Promise<Map<string, string | null>> {
    const rows = this.statements
      .get(
        `SELECT path, digest FROM agent_file_versions WHERE id IN (
           SELECT max(id) FROM agent_file_versions WHERE namespace = ? GROUP BY path)`,
      )
      .all(namespace) as { path: string; digest: string | null }[];
    return new Map(rows.map((row) => [row.path, row.digest]));
  }
}
