import { ContentTooLarge, DomainError, NotFound } from '../common/domain-errors';

/**
 * The file cannot be imported as asked: malformed, hostile, of an unknown kind, over a limit. The
 * message names the file and, where it helps, the position. Never retried: the input will not change.
 */
export class ImportRejected extends DomainError {
  readonly status = 422;
  readonly code = 'import_rejected';
}

/** An import names a server path outside ENGRAM_IMPORT_DIR, or path imports are off. */
export class ImportPathRefused extends DomainError {
  readonly status = 403;
  readonly code = 'import_path_refused';
}

export class ImportInputMissing extends NotFound {}

/** An upload over ENGRAM_IMPORT_MAX_UPLOAD_BYTES: the 413 names the limit, in bytes and by its setting. */
export class UploadTooLarge extends ContentTooLarge {
  constructor(limit: number) {
    super(`The upload is larger than ${limit} bytes (ENGRAM_IMPORT_MAX_UPLOAD_BYTES)`);
  }
}
