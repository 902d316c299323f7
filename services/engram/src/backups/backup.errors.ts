import { DomainError } from '../common/domain-errors';

export class BackupNotFound extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';

  constructor(id: string, message = `No backup with id ${id}`) {
    super(message);
  }
}

/** The backup failed verification (checksum, integrity check, counts): it is never swapped in. */
export class BackupCorrupted extends DomainError {
  readonly status = 422;
  readonly code = 'backup_corrupted';
}

/** A sound backup this database cannot take (newer schema, vectors of another embedding model). */
export class BackupIncompatible extends DomainError {
  readonly status = 409;
  readonly code = 'backup_incompatible';
}

/** What is asked for is being written by a backup now (its staging folder): it is left alone. */
export class BackupInUse extends DomainError {
  readonly status = 409;
  readonly code = 'backup_in_use';
}

/** A file of a backup's memory archive, by its path in it (`<namespace>/<path>`) and its size. */
export interface ArchivedFileSize {
  path: string;
  bytes: number;
}

/**
 * A backup whose memory archive holds a file larger than the memory agent lets a file be (agent-file.rules.ts):
 * one made by hand, or by a deployment with a larger limit. Refused from the archive's headers, before the
 * file is read and before a restore changes anything.
 */
export class AgentFileTooLarge extends BackupIncompatible {
  constructor(file: ArchivedFileSize, maxBytes: number, backupId?: string) {
    super(
      `${backupId ? `Backup ${backupId} is not restored: its` : 'The backup’s'} memory archive holds "${file.path}" ` +
        `of ${file.bytes} bytes, over the memory agent's per-file limit of ${maxBytes} bytes ` +
        '(docs/agent.md, "The memory functions")',
    );
  }
}
