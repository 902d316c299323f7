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

/** What keeps a backup's memory archive from being restored (BackupRepository.archivedMemoryProblem). */
export type ArchivedMemoryProblem =
  | { kind: 'outside'; path: string }
  | { kind: 'not-a-file'; path: string; type: string }
  | { kind: 'file-too-large'; file: ArchivedFileSize; maxBytes: number }
  | { kind: 'over-limits'; reason: string };

/**
 * A memory archive refused before a restore changes anything: corrupt when extracting it would refuse an
 * entry (a path out of it, a link), incompatible when its memory is over the limits of the memory agent.
 */
export function archivedMemoryRefused(
  problem: ArchivedMemoryProblem,
  backupId: string,
): BackupCorrupted | BackupIncompatible {
  const refused = `Backup ${backupId} is not restored: its memory archive`;
  switch (problem.kind) {
    case 'outside':
      return new BackupCorrupted(`${refused} holds "${problem.path}", a path outside it`);
    case 'not-a-file':
      return new BackupCorrupted(
        `${refused} holds "${problem.path}" of type ${problem.type}; a memory holds only files and folders`,
      );
    case 'file-too-large':
      return new AgentFileTooLarge(problem.file, problem.maxBytes, backupId);
    case 'over-limits':
      return new BackupIncompatible(
        `${refused} is over the memory agent's limits: ${problem.reason} (docs/agent.md, "The memory functions")`,
      );
  }
}
