import { EmbeddingUnavailable } from './domain-errors';

/**
 * A server this process needs (the PostgreSQL database, Redis) cannot be reached. The message names it
 * (host, port, database; never a password) and why, so a CLI command prints it as one line and exits
 * 69 (EX_UNAVAILABLE) instead of a stack trace.
 */
export class ServiceUnreachable extends Error {}

/** A server this process needs does not answer, or the embedding endpoint (or model) is unavailable: exit 69. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ServiceUnreachable || error instanceof EmbeddingUnavailable;
}
