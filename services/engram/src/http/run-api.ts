import { AddressInfo } from 'node:net';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfigOrReport } from '../config/config.loader';
import { decideBindAddress } from '../process/bind-address';
import { createLogger } from '../process/logger';
import { closeOnSignals, reportStartFailure } from '../process/lifecycle';
import { waitForRedis } from '../jobs/redis-probe';
import { PortReservation, reservePort } from '../process/port-reservation';
import { recordServing } from '../health/serving-record.repository';
import { startTracing } from '../tracing/tracing';
import { announceNewStore, storeLocation, unusableStorePath } from '../storage/store-location';
import { preloadEmbedder } from '../embeddings/embedder-preload';
import { WorkspaceFolderSweeper } from '../storage/workspace-folder.sweeper';
import { readyLine } from './ready-line';

/**
 * The api: REST, docs, health and metrics on MCP_HTTP_HOST:MCP_HTTP_PORT. Resolves with the exit code
 * once a signal has closed it (0), or at once when it cannot start: 66 for a database path with no folder,
 * 69 for a busy port or a server it needs that does not answer, 77 for a port it may not bind, 78 for
 * configuration (a host that is no address here included), else 1.
 */
export async function runApi(argv: readonly string[]): Promise<number> {
  const config = loadConfigOrReport(argv);
  if (!config) return 78; // EX_CONFIG
  const unusable = unusableStorePath(config.storage);
  if (unusable !== undefined) {
    process.stderr.write(`engram: ${unusable} (MCP_MEMORY_SQLITE_PATH or --db)\n`);
    return 66; // EX_NOINPUT
  }
  const logger = createLogger(config);
  const tracing = await startTracing(config.tracing, 'api');
  const bind = decideBindAddress(config);
  if (bind.warning) logger.warn(bind.warning, 'Startup');
  const listenTarget = { host: bind.host, port: config.http.port, portSetting: 'MCP_HTTP_PORT or --port' };
  let reservation: PortReservation;
  try {
    reservation = await reservePort(bind.host, config.http.port);
  } catch (error) {
    return reportStartFailure(error, logger, listenTarget);
  }
  announceNewStore(config.storage, logger);
  // The model loads on its own threads while the app's modules load on this one.
  const embedder = preloadEmbedder(config.embedding);
  const { createApp } = await import('./create-app.js');
  const { Authenticator } = await import('../auth/authenticator.js');
  let app: NestFastifyApplication;
  try {
    if (config.redis.url) await waitForRedis(config.redis.url);
    app = await createApp(config, logger);
    await reservation.release();
    await app.listen({ host: bind.host, port: config.http.port });
  } catch (error) {
    await reservation.release();
    await embedder.discard(); // when the app failed before adopting it
    return reportStartFailure(error, logger, listenTarget);
  }
  const unrecord = recordServing('api', config, app.getHttpServer(), logger);
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
  logger.log(
    readyLine(app.getHttpServer().address() as AddressInfo, {
      keyed: await app.get(Authenticator).credentialsRequired(),
      anonymous: config.auth.allowAnonymous,
      database: storeLocation(config.storage),
    }),
    'Startup',
  );
  const { BackupService } = await import('../backups/backup.service.js');
  // What a crash left of earlier backups goes now, not with the next one (hours away on a daily schedule).
  void app.get(BackupService).removeAbandonedStagings();
  // And what a killed agent run or import left in the OS temporary folder (PostgreSQL's workspaces, older
  // builds' folders).
  app.get(WorkspaceFolderSweeper).start();
  return stopped;
}
