import { LoggerService } from '@nestjs/common';
import { ConfigError } from '../config/config.loader';

/** 78 (EX_CONFIG) when start-up failed on configuration found late (a wrong database key), else 1. */
export function startupExitCode(error: unknown): number {
  return error instanceof ConfigError ? 78 : 1;
}

/**
 * SIGTERM/SIGINT: close (stop accepting, finish in-flight work, close the database); resolves the exit
 * code. The api and the worker both stop this way.
 */
export function closeOnSignals(target: { close(): Promise<unknown> }, logger: LoggerService): Promise<number> {
  return new Promise((resolve) => {
    const close = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', close);
      process.off('SIGINT', close);
      logger.log({ msg: 'Shutting down', signal }, 'Shutdown');
      target.close().then(
        () => resolve(0),
        (error: Error) => {
          logger.error(error.message, 'Shutdown');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', close);
    process.on('SIGINT', close);
  });
}
