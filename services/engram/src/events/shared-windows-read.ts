import { Logger } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';

/** How long a replay waits for the shared windows before the process's own windows serve it. */
const HISTORY_WAIT_MS = 1000;

/**
 * A read of the replay windows every process shares (Redis, PostgreSQL), or undefined when it fails or takes
 * longer than HISTORY_WAIT_MS: the stream then replays from this process's own windows rather than wait.
 */
export function readSharedWindows<T>(read: () => Promise<T>, logger: Logger): Promise<T | undefined> {
  return Promise.race([read(), delay(HISTORY_WAIT_MS, undefined, { ref: false })]).catch((error: Error) => {
    logger.warn({ msg: 'replay windows unreadable; this process serves from its own events', error: error.message });
    return undefined;
  });
}
