import { HttpException } from '@nestjs/common';
import { DomainError } from './domain-errors';

export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
}

/** Fastify's own errors (body parsing, limits, media types) by status, with our stable codes. */
const FRAMEWORK_CODES: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/** Clearer words than the framework's for the statuses a client can fix. */
const STATUS_MESSAGES: Record<number, string> = {
  413: 'Request body is larger than the configured limit (ENGRAM_MAX_BODY_BYTES)',
  415: 'Unsupported Content-Type: send application/json',
};

/**
 * The one mapping from anything thrown to the HTTP error answer `{error, message, details?}`.
 * Client mistakes keep their 4xx status; anything unexpected is a 500 whose message reveals nothing.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof DomainError) {
    return { status: error.status, body: withDetails({ error: error.code, message: error.message }, error.details) };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 503) {
      // Terminus reports a failed health check this way (the worker too); its per-check report is the useful part.
      return { status, body: { error: 'service_unavailable', message: 'Not ready', details: error.getResponse() } };
    }
    const message = STATUS_MESSAGES[status] ?? httpExceptionMessage(error);
    return { status, body: { error: FRAMEWORK_CODES[status] ?? 'http_error', message } };
  }
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = STATUS_MESSAGES[status] ?? (error as Error).message;
    return { status, body: { error: FRAMEWORK_CODES[status] ?? 'bad_request', message } };
  }
  if (isDatabaseBusy(error)) {
    return {
      status: 503,
      body: {
        error: 'database_busy',
        message: DATABASE_BUSY_MESSAGE,
      },
    };
  }
  return { status: 500, body: { error: 'internal_error', message: 'Internal server error' } };
}

/** The Retry-After (seconds) of an error answer: the error's own, else 5 for any 503 (busy, worth retrying). */
export function retryAfterOf(error: unknown, status: number): string | undefined {
  const own = error instanceof DomainError ? error.retryAfterSeconds : undefined;
  if (own !== undefined) return String(own);
  return status === 503 ? '5' : undefined;
}

export const DATABASE_BUSY_MESSAGE =
  'The database is locked by a long write elsewhere (a restore or reindex switch); retry shortly';

/** SQLite gave up waiting (busy_timeout) for another connection's write lock: temporary, not a bug. */
export function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

function withDetails(body: ErrorBody, details: unknown): ErrorBody {
  return details === undefined ? body : { ...body, details };
}

function httpExceptionMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : String(message ?? error.message);
}
