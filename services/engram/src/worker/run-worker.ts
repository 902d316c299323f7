import { INestApplicationContext } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { announceNewStore, storeLocation, unusableStorePath } from '../storage/store-location';
import { FastifyInstance } from 'fastify';
import { AddressInfo } from 'node:net';
import { Authenticator } from '../auth/authenticator';
import { BackupService } from '../backups/backup.service';
import { FAILURE_LIMITER } from '../auth/failure-limiter';
import { decideBindAddress } from '../process/bind-address';
import { createLogger } from '../process/logger';
import { loadConfigOrReport } from '../config/config.loader';
import { closeOnSignals, reportStartFailure } from '../process/lifecycle';
import { waitForRedis } from '../jobs/redis-probe';
import { recordServing } from '../health/serving-record.repository';
import { JobsHealth } from '../jobs/jobs-health';
import { databaseWritable } from '../health/database-writable.check';
import { startTracing } from '../tracing/tracing';
import { EngramMetrics } from '../metrics/engram-metrics';
import { StorageInfoRepository } from '../storage/storage-info.repository';
import { WorkspaceFolderSweeper } from '../storage/workspace-folder.sweeper';
import { createWorkerContext } from './worker-context';
import { startWorkerHttpServer, WorkerProbes } from './worker-http.server';

/**
 * The worker (`engram worker`, `npm run worker`): runs BullMQ jobs from REDIS_URL, with health and
 * metrics on WORKER_HTTP_PORT. SIGTERM/SIGINT: stop taking jobs, release or finish the current one, exit 0.
 */
export async function runWorker(argv: readonly string[]): Promise<number> {
  const config = loadConfigOrReport(argv);
  if (!config) return 78; // EX_CONFIG
  const unusable = unusableStorePath(config.storage);
  if (unusable !== undefined) {
    process.stderr.write(`engram: ${unusable} (MCP_MEMORY_SQLITE_PATH or --db)\n`);
    return 66; // EX_NOINPUT
  }
  const logger = createLogger(config);
  if (!config.redis.url) {
    logger.error('The worker needs REDIS_URL; without Redis the api runs jobs itself (no worker needed)', 'Startup');
    return 78;
  }
  const tracing = await startTracing(config.tracing, 'worker');
  // The same rule as the api's: without a credential the worker's port stays on loopback.
  const bind = decideBindAddress(config);
  if (bind.warning) logger.warn(bind.warning, 'Startup');
  announceNewStore(config.storage, logger);
  let context: INestApplicationContext;
  let server: FastifyInstance;
  try {
    await waitForRedis(config.redis.url);
    context = await createWorkerContext(config, 'worker', logger);
    const deps = {
      authenticator: context.get(Authenticator),
      limiter: context.get(FAILURE_LIMITER),
      metrics: context.get(EngramMetrics),
    };
    server = await startWorkerHttpServer(config, workerProbes(context), deps, bind.host);
  } catch (error) {
    return reportStartFailure(error, logger, {
      host: bind.host,
      port: config.worker.httpPort,
      portSetting: 'WORKER_HTTP_PORT',
    });
  }
  const { port } = server.server.address() as AddressInfo;
  const unrecord = recordServing('worker', config, server.server, logger);
  // Signal handlers before the ready line: a SIGTERM sent as soon as it appears must close, not kill.
  const stopped = closeOnSignals(
    {
      async close() {
        unrecord();
        await server.close();
        await context.close();
        await tracing.shutdown();
      },
    },
    logger,
  );
  logger.log({ msg: 'Engram worker ready', port, database: storeLocation(config.storage) }, 'Startup');
  // What a crash left of earlier backups goes now, not with the next one (hours away on a daily schedule).
  void context.get(BackupService).removeAbandonedStagings();
  // And what a killed agent run or import left in the OS temporary folder (PostgreSQL's workspaces, older
  // builds' folders).
  context.get(WorkspaceFolderSweeper).start();
  return stopped;
}

/** What the worker's /health/ready and /metrics answer, read from its application context. */
export function workerProbes(context: INestApplicationContext): WorkerProbes {
  const jobs = context.get(JobsHealth);
  const storage = context.get(StorageInfoRepository);
  const metrics = context.get(EngramMetrics);
  // Terminus, as the api's /health/ready runs it, so both answer in one shape.
  const health = context.get(HealthCheckService, { strict: false });
  const indicator = context.get(HealthIndicatorService, { strict: false });
  return {
    ready() {
      return health.check([() => databaseWritable(indicator, storage), () => jobs.check()]);
    },
    async metrics() {
      return { contentType: metrics.registry.contentType, body: await metrics.scrape() };
    },
  };
}
