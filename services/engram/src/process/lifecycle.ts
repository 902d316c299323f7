import { LoggerService } from '@nestjs/common';
import { ListenTarget, listenFailure } from './listen-failure';
import { plainFailure } from './plain-failure';

/**
 * Says why the api or the worker could not start and answers its exit code. What plainFailure knows (a
 * server it needs that does not answer, 69; a store held by a restore, 75; a wrong database key, 78), and a
 * listen refused for where it was asked to listen (listenFailure, given the target), is one plain line on
 * stderr, as every other command says it; anything else is logged, 1.
 */
export function reportStartFailure(error: unknown, logger: LoggerService, listen?: ListenTarget): number {
  const plain = (listen && listenFailure(error, listen)) ?? plainFailure(error);
  if (plain) {
    process.stderr.write(`engram: ${plain.line}\n`);
    return plain.exitCode;
  }
  logger.error((error as Error).message, 'Startup');
  return 1;
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
