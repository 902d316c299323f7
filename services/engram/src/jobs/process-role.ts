/**
 * Which entrypoint this process is. `api`: serves HTTP; runs jobs itself only without Redis.
 * `worker`: runs jobs from Redis. `cli`: an operator command; runs jobs itself without Redis.
 */
export type ProcessRole = 'api' | 'worker' | 'cli';

export const PROCESS_ROLE = Symbol('PROCESS_ROLE');

/**
 * Whether this process may own the job schedules (the backup cron): `engram worker` with Redis, and
 * `engram serve` without it. Never `engram mcp` or an operator command, which also build the api's
 * modules but come and go with a client or a command.
 */
export const SCHEDULES_JOBS = Symbol('SCHEDULES_JOBS');
