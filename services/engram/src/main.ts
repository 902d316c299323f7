import 'reflect-metadata';
import { INestApplication, LoggerService } from '@nestjs/common';
import { ConfigError, loadConfig } from './config/config.loader';
import { createApp, createLogger } from './http/create-app';
import { decideBindAddress } from './http/bind-address';

/** The api entrypoint: REST, docs, health and metrics on MCP_HTTP_HOST:MCP_HTTP_PORT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ env: process.env, argv: process.argv.slice(2) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const logger = createLogger(config);
  const bind = decideBindAddress(config);
  if (bind.warning) logger.warn(bind.warning, 'Startup');
  try {
    const app = await createApp(config, logger);
    closeOnSignals(app, logger);
    await app.listen({ host: bind.host, port: config.http.port });
    logger.log({ msg: 'Engram ready', url: await app.getUrl(), database: config.storage.sqlitePath }, 'Startup');
  } catch (error) {
    logger.error((error as Error).message, 'Startup');
    process.exit(1);
  }
}

/** SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the database, exit 0. */
function closeOnSignals(app: INestApplication, logger: LoggerService): void {
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log({ msg: 'Shutting down', signal }, 'Shutdown');
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error(error.message, 'Shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

void main();
