import { AgentFileJournal, FileVersion, FileVersionPage, KEPT_VERSIONS, NewFileVersion } from '../agent-file-journal';
import { FileVersionRow, nextVersion, toFileVersion, toVersionPage, VERSION_COLUMNS } from '../agent-file-journal.sql';
import { Queryable } from './postgres.database';

/**
 * AgentFileJournal on PostgreSQL. Built on the pool to read, and on the transaction of the change it
 * records (PostgresAgentFileStore), so a file never changes without its version, nor the reverse.
 */
export class PostgresAgentFileJournal extends AgentFileJournal {
  constructor(
    private readonly db: Queryable,
    private readonly keep = KEPT_VERSIONS,
  ) {
    super();
  }

  async append(namespace: string, version: NewFileVersion): Promise<FileVersion> {
    const { path, at, actor, kind, size, diff, content, digest } = version;
    const [row] = await this.db.query<FileVersionRow>(
      `INSERT INTO agent_file_versions (namespace, path, version, at, actor, kind, size, diff, content, digest)
       VALUES ($1, $2, ${nextVersion('$1', '$2')}, $3, $4, $5, $6, $7, $8, $9)
       RETURNING ${VERSION_COLUMNS}`,
      [namespace, path, at, actor, kind, size, diff, content, digest],
    );
    await this.db.query(
      `DELETE FROM agent_file_versions WHERE namespace = $1 AND path = $2 AND id NOT IN (
         SELECT id FROM agent_file_versions WHERE namespace = $1 AND path = $2 ORDER BY id DESC LIMIT $3)`,
      [namespace, path, this.keep],
    );
    return toFileVersion(row);
  }

  async history(namespace: string, path: string, page: { limit: number; before?: number }): Promise<FileVersionPage> {
    const rows = await this.db.query<FileVersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM agent_file_versions
        WHERE namespace = $1 AND path = $2 AND version < $3 ORDER BY version DESC LIMIT $4`,
      [namespace, path, page.before ?? Number.MAX_SAFE_INTEGER, page.limit + 1],
    );
    return toVersionPage(rows, page.limit);
  }

  async version(namespace: string, path: string, id: number) {
    const [row] = await this.db.query<FileVersionRow & { content: Buffer | null }>(
      `SELECT ${VERSION_COLUMNS}, content FROM agent_file_versions WHERE namespace = $1 AND path = $2 AND version = $3`,
      [namespace, path, id],
    );
    return row && { version: toFileVersion(row), content: row.content };
  }

  async heads(namespace: string): Promise<Map<string, string | null>> {
    const rows = await this.db.query<{ path: string; digest: string | null }>(
      `SELECT DISTINCT ON (path) path, digest FROM agent_file_versions WHERE namespace = $1 ORDER BY path, id DESC`,
      [namespace],
    );
    return new Map(rows.map((row) => [row.path, row.digest]));
  }
}
