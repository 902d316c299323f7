import { FileActor, FileVersion, FileVersionKind, FileVersionPage } from './agent-file-journal';

/** agent_file_versions as both engines return it (SQLite migration 022, PostgreSQL 13). */
export interface FileVersionRow {
  version: number;
  path: string;
  at: number;
  actor: string;
  kind: string;
  size: number;
  diff: string | null;
}

/**
 * The next version number of a file, given the placeholders of its namespace and path: one past its
 * newest, counted per file so a tenant's numbers say nothing of other files or namespaces. Appends to
 * one file are serialised (SQLite's single writer; PostgreSQL's namespace lock in PostgresAgentFileStore).
 */
export function nextVersion(namespace: string, path: string): string {
  return `(SELECT coalesce(max(version), 0) + 1 FROM agent_file_versions WHERE namespace = ${namespace} AND path = ${path})`;
}

/** The columns history lists: everything but the content. */
export const VERSION_COLUMNS = 'version, path, at, actor, kind, size, diff';

export function toFileVersion(row: FileVersionRow): FileVersion {
  return {
    id: Number(row.version),
    path: row.path,
    at: Number(row.at),
    actor: row.actor as FileActor,
    kind: row.kind as FileVersionKind,
    size: Number(row.size),
    diff: row.diff,
  };
}

/** A page from `limit + 1` rows fetched newest first: the extra row only says there is more. */
export function toVersionPage(rows: readonly FileVersionRow[], limit: number): FileVersionPage {
  const versions = rows.slice(0, limit).map(toFileVersion);
  return rows.length > limit ? { versions, next: versions.at(-1)!.id } : { versions };
}
