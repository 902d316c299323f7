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
