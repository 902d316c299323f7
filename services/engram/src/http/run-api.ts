import { LoggerService } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, loadConfig } from '../config/config.loader';
import { AppConfig } from '../config/config.types';
import { createApp, createLogger } from './create-app';
import { decideBindAddress } from './bind-address';

/**
 * The api: REST, docs, health and metrics on MCP_HTTP_HOST:MCP_HTTP_PORT. Resolves with the exit code
 * once a signal has closed it (0), or at once when it cannot start (78 for configuration, else 1).
 */
export async function runApi(argv: readonly string[]): Promise<number> {
  const config = loadConfigOrReport(argv);
  if (!config) return 78; // EX_CONFIG
  const logger = createLogger(config);
  const bind = decideBindAddress(config);
  if (bind.warning) logger.warn(bind.warning, 'Startup');
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, logger);
    await app.listen({ host: bind.host, port: config.http.port });
  } catch (error) {
    logger.error((error as Error).message, 'Startup');
    return startupExitCode(error);
  }
  logger.log({ msg: 'Engram ready', url: await app.getUrl(), database: config.storage.sqlitePath }, 'Startup');
  return closeOnSignals(app, logger);
}

/** 78 (EX_CONFIG) when start-up failed on configuration found late (a wrong database key), else 1. */
export function startupExitCode(error: unknown): number {
  return error instanceof ConfigError ? 78 : 1;
}

/** Loads the configuration, or prints every problem (one per line) to stderr and returns undefined. */
export function loadConfigOrReport(argv: readonly string[]): AppConfig | undefined {
  try {
    return loadConfig({ env: process.env, argv });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return undefined;
  }
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
