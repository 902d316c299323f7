import { LoggerService } from '@nestjs/common';
import { isUnavailable } from '../common/service-unreachable';
import { ConfigError } from '../config/config.loader';

/**
 * Says why the api or the worker could not start and answers its exit code. A server it needs that does
 * not answer (PostgreSQL, Redis, the embedding endpoint) is one plain line on stderr without a password,
 * 69 (EX_UNAVAILABLE), as every other command says it; configuration found wrong late (a wrong database
 * key) is logged, 78 (EX_CONFIG); anything else is logged, 1.
 */
export function reportStartFailure(error: unknown, logger: LoggerService): number {
  if (isUnavailable(error)) {
    process.stderr.write(`engram: ${(error as Error).message}\n`);
    return 69;
  }
  logger.error((error as Error).message, 'Startup');
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
