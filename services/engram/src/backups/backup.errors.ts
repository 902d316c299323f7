import { DomainError } from '../common/domain-errors';

export class BackupNotFound extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';

  constructor(id: string) {
    super(`No backup with id ${id}`);
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
