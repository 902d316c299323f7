/**
 * Which entrypoint this process is. `api`: serves HTTP; runs jobs itself only without Redis.
 * `worker`: runs jobs from Redis. `cli`: an operator command; runs jobs itself without Redis.
 */
export type ProcessRole = 'api' | 'worker' | 'cli';

export const PROCESS_ROLE = Symbol('PROCESS_ROLE');
