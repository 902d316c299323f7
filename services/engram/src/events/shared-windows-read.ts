import { Logger } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';

/** How long a replay waits for the shared windows before it is answered without them. */
export const HISTORY_WAIT_MS = 1000;

/**
 * A read of the replay windows every process shares (Redis, PostgreSQL), or undefined when it fails or takes
 * longer than HISTORY_WAIT_MS: the relay then answers without them (see its history and newest) rather than wait.
 */
export function readSharedWindows<T>(read: () => Promise<T>, logger: Logger): Promise<T | undefined> {
  return Promise.race([read(), delay(HISTORY_WAIT_MS, undefined, { ref: false })]).catch((error: Error) => {
    logger.warn({ msg: 'shared replay windows unreadable', error: error.message });
    return undefined;
  });
}
