/** The agent's memory files as clients see them; the dashboard imports these types too (no imports here). */

export interface MemoryFileEntry {
  path: string;
  size: number;
  modified_at: string;
}

export interface MemoryFileView extends MemoryFileEntry {
  content: string;
  /** Each `[[link]]` of the file in order, with the file it leads to (null when none does). */
  links: { link: string; target: string | null }[];
  /** Files whose links lead here. */
  backlinks: string[];
}

/** One journaled change of a memory file (GET /api/agent/files/{path}/history). */
export interface MemoryFileVersionEntry {
  version: number;
  at: string;
  /** `agent`, `import`, `hand_edit` (the API or an edit on disk) or `revert`. */
  actor: string;
  kind: 'created' | 'updated' | 'deleted';
  /** Bytes after the change (0 for a deletion). */
  size: number;
  /** Unified diff against the previous version; null when too large to compute. */
  diff: string | null;
}

export interface MemoryFileHistory {
  path: string;
  versions: MemoryFileVersionEntry[];
  /** Pass as `cursor` for older versions; absent on the last page. */
  next_cursor?: number;
}

export interface MemoryFileVersionView extends MemoryFileVersionEntry {
  path: string;
  /** The file as that version left it; null for a deletion. */
  content: string | null;
}

/** What a hand edit or a revert did: `unchanged` when the file already held that content. */
export interface MemoryFileChangeView {
  path: string;
  change: 'created' | 'updated' | 'deleted' | 'unchanged';
}
