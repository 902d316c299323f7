/**
 * A server this process needs (the PostgreSQL database, Redis) cannot be reached. The message names it
 * (host, port, database; never a password) and why, so a CLI command prints it as one line and exits
 * 69 (EX_UNAVAILABLE) instead of a stack trace.
 */
export class ServiceUnreachable extends Error {}
