import { createHash } from 'node:crypto';
import { unifiedDiff } from '../common/file-diff';

/**
 * Who changed a memory file: an agent run, an import, a person (through `PUT /api/agent/files/…`, or on
 * disk in MEMORY_DIR, seen by the folder watcher), a revert to an earlier version, or a backup's restore
 * (PostgreSQL; on SQLite a restore brings back the journal with the files).
 */
export type FileActor = 'agent' | 'import' | 'hand_edit' | 'revert' | 'restore';

/** What a version did to its file: the memory functions' own words (SSE events use them too). */
export type FileVersionKind = 'created' | 'updated' | 'deleted';

/** Versions kept per file; older ones are dropped as new ones are journaled (the newest always stays). */
export const KEPT_VERSIONS = 50;

/** One journaled change of one file, as history lists it (the content is read separately). */
export interface FileVersion {
  /** The file's own version number, 1 for its first (never a store-wide count). */
  id: number;
  path: string;
  /** Epoch milliseconds. */
  at: number;
  actor: FileActor;
  kind: FileVersionKind;
  /** Bytes of the file after the change (0 when deleted). */
  size: number;
  /** Unified diff against the previous version; null when too large to compute (see file-diff.ts). */
  diff: string | null;
}

/** A version about to be journaled: its full content (null when deleted) and that content's SHA-256. */
export interface NewFileVersion extends Omit<FileVersion, 'id'> {
  content: Buffer | null;
  digest: string | null;
}

export interface FileVersionPage {
  /** Newest first. */
  versions: FileVersion[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next?: number;
}

/**
 * The journal of every namespace's memory files: each change with its time, actor, diff and the whole
 * content it left, so any kept version can be read back or restored. Adapters: SQLite (beside the
 * MEMORY_DIR folder) and PostgreSQL (in the transaction that changes `agent_files`).
 */
export abstract class AgentFileJournal {
  /** Appends a version and drops the file's versions beyond KEPT_VERSIONS. */
  abstract append(namespace: string, version: NewFileVersion): Promise<FileVersion>;
  /** The file's versions, newest first, at most `limit`, older than version `before` when given. */
  abstract history(namespace: string, path: string, page: { limit: number; before?: number }): Promise<FileVersionPage>;
  /** One version with its content (null for a deletion); undefined when the file has no such version. */
  abstract version(
    namespace: string,
    path: string,
    id: number,
  ): Promise<{ version: FileVersion; content: Buffer | null } | undefined>;
  /** The newest version's digest of every journaled path (null when that version is a deletion). */
  abstract heads(namespace: string): Promise<Map<string, string | null>>;
}

/** SHA-256 of a file's bytes, hex: how the journal tells whether a file still holds its newest version. */
export function contentDigest(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * The version a change from `before` to `after` makes (undefined for a file absent or unchanged both
 * times): every adapter journals exactly this, so kinds and diffs cannot differ between them.
 */
export function versionOfChange(
  path: string,
  before: Buffer | undefined,
  after: Buffer | undefined,
  actor: FileActor,
  at = Date.now(),
): NewFileVersion | undefined {
  if (before === undefined ? after === undefined : after !== undefined && before.equals(after)) return undefined;
  const kind: FileVersionKind = before === undefined ? 'created' : after === undefined ? 'deleted' : 'updated';
  const diff = unifiedDiff(path, before?.toString('utf8') ?? null, after?.toString('utf8') ?? null);
  return {
    path,
    at,
    actor,
    kind,
    size: after?.length ?? 0,
    diff,
    content: after ?? null,
    digest: after === undefined ? null : contentDigest(after),
  };
}
