/** U+2400 SYMBOL FOR NULL: how text derived from a file shows a NUL the file holds. */
export const NUL_SYMBOL = '\u2400';

/**
 * `text` with each NUL shown as ␀. For text derived from a memory file (a version's diff, the file's
 * search entry): PostgreSQL text cannot hold a NUL, and SQLite's string functions stop at one. The
 * file's own bytes, kept whole, stay the record of what it holds.
 */
export function withNulsShown(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', NUL_SYMBOL) : text;
}
