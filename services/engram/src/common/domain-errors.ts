/**
 * Domain errors thrown by services. One exception filter maps them to HTTP (status + JSON body
 * `{error, message, details?}`); the MCP layer maps them to `isError` results.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Sent as Retry-After with a 429 or 503 when the error knows when to come back. */
  readonly retryAfterSeconds?: number;

  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInput extends DomainError {
  readonly status = 400;
  readonly code = 'validation_error';
}

export class Unauthorized extends DomainError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

export class MemoryNotFound extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';

  constructor(readonly contentHash: string) {
    super(`No memory with content_hash ${contentHash}`);
  }
}

export class DuplicateContent extends DomainError {
  readonly status = 409;
  readonly code = 'duplicate_content';
}

export class ContentTooLarge extends DomainError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

export class UnprocessableRequest extends DomainError {
  readonly status = 422;
  readonly code = 'unprocessable';
}

/** Phrases every caller can copy from the refusal of one that does not parse (each parses). */
const TIME_EXPRESSION_EXAMPLES = [
  'yesterday',
  'last 7 days',
  'last week',
  'this month',
  'since 2024-01-01',
  'between march and may',
];

export class InvalidTimeExpression extends DomainError {
  readonly status = 400;
  readonly code = 'invalid_time_expression';

  /** @param problem what is wrong with an expression that parsed (a reversed range); else examples that parse */
  constructor(
    readonly expression: string,
    problem?: string,
  ) {
    const examples = TIME_EXPRESSION_EXAMPLES.map((example) => `"${example}"`).join(', ');
    super(
      problem === undefined
        ? `Cannot understand the time expression "${expression}": try one like ${examples}`
        : `The time expression "${expression}" ${problem}`,
    );
  }
}

export class EmbeddingUnavailable extends DomainError {
  readonly status = 503;
  readonly code = 'embedding_unavailable';
}

export class NotFound extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** Authenticated, but the credential lacks the scope or namespace this needs. */
export class Forbidden extends DomainError {
  readonly status = 403;
  readonly code = 'forbidden';
}

export class TooManyRequests extends DomainError {
  readonly status = 429;
  readonly code = 'rate_limited';

  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(message, { retry_after_seconds: retryAfterSeconds });
  }
}

/** The request clashes with the memory's current state (e.g. superseding a memory already superseded). */
export class StateConflict extends DomainError {
  readonly status = 409;
  readonly code = 'conflict';
}

/** Work that must not overlap with a restore, a reindex or a backup waited longer than it may: retry. */
export class StoreBusy extends DomainError {
  readonly status = 503;
  readonly code = 'store_busy';
}
