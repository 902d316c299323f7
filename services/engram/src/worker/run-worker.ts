import { INestApplicationContext } from '@nestjs/common';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createLogger } from '../http/create-app';
import { closeOnSignals, loadConfigOrReport, startupExitCode } from '../http/run-api';
import { JobsHealth } from '../jobs/jobs-health';
import { EngramMetrics } from '../metrics/engram-metrics';
import { StorageInfoRepository } from '../storage/storage-info.repository';
import { createWorkerContext } from './worker-context';
import { startWorkerHttpServer } from './worker-http.server';

/**
 * The worker (`engram worker`, `npm run worker`): runs BullMQ jobs from REDIS_URL, with health and
 * metrics on WORKER_HTTP_PORT. SIGTERM/SIGINT: stop taking jobs, release or finish the current one, exit 0.
 */
export async function runWorker(argv: readonly string[]): Promise<number> {
  const config = loadConfigOrReport(argv);
  if (!config) return 78; // EX_CONFIG
  const logger = createLogger(config);
  if (!config.redis.url) {
    logger.error('The worker needs REDIS_URL; without Redis the api runs jobs itself (no worker needed)', 'Startup');
    return 78;
  }
  let context: INestApplicationContext;
  let server: Server;
  try {
    context = await createWorkerContext(config, 'worker', logger);
    server = await startWorkerHttpServer(config, probesOf(context), config.http.host);
  } catch (error) {
    logger.error((error as Error).message, 'Startup');
    return startupExitCode(error);
  }
  const { port } = server.address() as AddressInfo;
  logger.log({ msg: 'Engram worker ready', port, database: config.storage.sqlitePath }, 'Startup');
  return closeOnSignals(
    {
      async close() {
        server.close();
        await context.close();
      },
    },
    logger,
  );
}

function probesOf(context: INestApplicationContext) {
  const jobs = context.get(JobsHealth);
  const storage = context.get(StorageInfoRepository);
  const metrics = context.get(EngramMetrics);
  return {
    async ready() {
      const queue = (await jobs.check()).queue;
      let database: Record<string, unknown> = { status: 'up' };
      try {
        storage.checkWritable();
      } catch (error) {
        database = { status: 'down', message: `database is not writable: ${(error as Error).message}` };
      }
      return { ok: queue.status === 'up' && database.status === 'up', details: { queue, database } };
    },
    async metrics() {
      return { contentType: metrics.registry.contentType, body: await metrics.scrape() };
    },
  };
}
