import { FileActor, FileVersion, FileVersionKind, FileVersionPage } from './agent-file-journal';

/** agent_file_versions as both engines return it (SQLite migration 022, PostgreSQL 13). */
export interface FileVersionRow {
  id: number;
  path: string;
  at: number;
  actor: string;
  kind: string;
  size: number;
  diff: string | null;
}

/** The columns history lists: everything but the content. */
export const VERSION_COLUMNS = 'id, path, at, actor, kind, size, diff';

export function toFileVersion(row: FileVersionRow): FileVersion {
  return {
    id: Number(row.id),
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
