import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { syncToDiskNow } from '../common/durable-file';

/** How the HNSW graph is built; a saved index built otherwise is rebuilt rather than loaded. */
export const ANN_PARAMETERS = {
  metric: 'cos',
  /**
   * A quarter of the memory of f32 (~0.5 GB of vectors at a million) and a build ~40% faster than f16,
   * at the same recall once candidates are re-scored from the full-precision blobs (measured at 100k:
   * recall@10 0.989 for both at search expansion 200).
   */
  quantization: 'i8',
  connectivity: 16,
  expansionAdd: 128,
} as const;

/**
 * Candidates the graph search keeps in view at 100k vectors and below (usearch searches with the larger
 * of its expansion and the count asked for): at 100k, recall@10 0.968 at 64, 0.989 at 200, for 1.0 →
 * 1.7 ms a search. Larger graphs need more (searchBreadth). Search-time settings, not saved with the graph.
 */
export const ANN_SEARCH_EXPANSION = 200;

/**
 * How many candidates to search for in a graph of `size` vectors, of which the nearest `count` are kept:
 * ANN_SEARCH_EXPANSION, doubled at a million (200 · (1 + log10(size / 100k))). At a million, recall@10 was
 * 0.918 at 200 and 0.963 at 400 (40 queries), for 3.3 → 6.2 ms a search.
 */
export function searchBreadth(size: number, count: number): number {
  const growth = 1 + Math.log10(Math.max(1, size / 100_000));
  return Math.max(count, Math.round(ANN_SEARCH_EXPANSION * growth));
}

/** Whether a saved index was built as ANN_PARAMETERS says (settings of the search alone do not count). */
function builtAsConfigured(parameters: Record<string, unknown> | undefined): boolean {
  return Object.entries(ANN_PARAMETERS).every(([key, value]) => parameters?.[key] === value);
}

/** What a saved index holds: whose vectors, up to which `vector_changes` entry, in which file. */
export interface AnnIndexHeader {
  format: 1;
  model: string;
  dimension: number;
  /** `settings.vector_epoch` when saved: a restore or reindex switch since makes the file stale. */
  epoch: string | null;
  /** The last `vector_changes` entry the saved index reflects. */
  seq: number;
  parameters: Record<string, unknown>;
  /**
   * The index file this header was written for. Two processes may save concurrently, each renaming its
   * own file into place; a header that names another file than the one found is not trusted.
   */
  file: { inode: number; size: number };
}

/** The index file beside the database, and its header. */
export function annIndexPaths(databasePath: string): { index: string; header: string } {
  return { index: `${databasePath}.usearch`, header: `${databasePath}.usearch.json` };
}

/** The header, if present, readable and naming the index file as it is now on disk; otherwise undefined. */
export function readAnnHeader(databasePath: string): AnnIndexHeader | undefined {
  const paths = annIndexPaths(databasePath);
  try {
    const header = JSON.parse(readFileSync(paths.header, 'utf8')) as AnnIndexHeader;
    const stat = statSync(paths.index);
    if (header.format !== 1 || header.file?.inode !== stat.ino || header.file.size !== stat.size) return undefined;
    if (!builtAsConfigured(header.parameters)) return undefined;
    return header;
  } catch {
    return undefined;
  }
}

/**
 * Moves a fully written index file into place, then writes its header (temp file + rename each): a crash
 * between the two leaves a header describing another file, which readAnnHeader rejects. The index is a
 * cache, so neither rename nor the header is made durable (after a power cut, a lost one costs a
 * rebuild), but the index's bytes are put on disk (fsync, on the index's own thread) before a header can
 * vouch for them: the header checks the file's inode and size, not its contents, and a file of the right
 * size whose pages never reached the disk would be loaded as a graph.
 */
export function publishAnnIndex(
  databasePath: string,
  writtenIndex: string,
  header: Omit<AnnIndexHeader, 'file' | 'format' | 'parameters'>,
): void {
  const paths = annIndexPaths(databasePath);
  syncToDiskNow(writtenIndex);
  renameSync(writtenIndex, paths.index);
  const stat = statSync(paths.index);
  const complete: AnnIndexHeader = {
    format: 1,
    ...header,
    parameters: ANN_PARAMETERS,
    file: { inode: stat.ino, size: stat.size },
  };
  const temporary = `${paths.header}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(complete));
  renameSync(temporary, paths.header);
}

/** A temporary path beside the index for this process to write a new index into. */
export function temporaryIndexPath(databasePath: string): string {
  return `${annIndexPaths(databasePath).index}.${process.pid}.${Date.now()}.tmp`;
}

export function removeQuietly(path: string): void {
  rmSync(path, { force: true });
}

/** Where `vector_changes` stands: the vectors' epoch, the oldest entry kept and the latest ever written. */
export interface LogPosition {
  epoch: string | null;
  oldest: number | null;
  latest: number;
}

/** The statement reading a LogPosition (both the serving thread and the index's thread ask it). */
export const LOG_POSITION_SQL = `SELECT (SELECT value FROM settings WHERE key = 'vector_epoch') AS epoch,
  (SELECT min(seq) FROM vector_changes) AS oldest,
  coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'), 0) AS latest`;
