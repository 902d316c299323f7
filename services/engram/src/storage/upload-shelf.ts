/**
 * Where an import's uploaded file waits for its job when the api that took it and the worker that runs
 * it may be on different nodes. On SQLite every process shares the data volume, so the upload folder is
 * enough (no shelf); on PostgreSQL the file is also kept in the database until its import ends.
 */
export abstract class UploadShelf {
  /** Keeps a copy of a saved upload where every process of the deployment can read it. */
  abstract put(uploadId: string, file: string): Promise<void>;
  /** Writes the upload's copy to `file`; false when there is none. */
  abstract fetch(uploadId: string, file: string): Promise<boolean>;
  abstract remove(uploadId: string): Promise<void>;
  /** Drops copies kept since before `before` (epoch ms): imports that never ran to their end. */
  abstract pruneBefore(before: number): Promise<void>;
}
