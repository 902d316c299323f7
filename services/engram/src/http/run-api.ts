import { LoggerService } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfigOrReport } from '../config/config.loader';
import { createApp, createLogger } from './create-app';
import { decideBindAddress } from './bind-address';
import { recordServing } from '../health/serving-record.repository';
import { startTracing } from '../tracing/tracing';

/**
 * The api: REST, docs, health and metrics on MCP_HTTP_HOST:MCP_HTTP_PORT. Resolves with the exit code
 * once a signal has closed it (0), or at once when it cannot start (78 for configuration, else 1).
 */
export async function runApi(argv: readonly string[]): Promise<number> {
  const config = loadConfigOrReport(argv);
  if (!config) return 78; // EX_CONFIG
  const logger = createLogger(config);
  const tracing = await startTracing(config.tracing, 'api');
  const bind = decideBindAddress(config);
  if (bind.warning) logger.warn(bind.warning, 'Startup');
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, logger);
    await app.listen({ host: bind.host, port: config.http.port });
  } catch (error) {
    logger.error((error as Error).message, 'Startup');
    return 1;
  }
  const unrecord = recordServing('api', app.getHttpServer(), logger);
  // Signal handlers before the ready line: a SIGTERM sent as soon as it appears must close, not kill.
  const stopped = closeOnSignals(
    {
      async close() {
        unrecord();
        await app.close();
        await tracing.shutdown();
      },
    },
    logger,
  );
  logger.log({ msg: 'Engram ready', url: await app.getUrl(), database: config.storage.sqlitePath }, 'Startup');
  return stopped;
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
