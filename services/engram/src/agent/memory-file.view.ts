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
