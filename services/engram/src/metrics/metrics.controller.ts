import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PublicRoute, RequireScope } from '../auth/route-access';
import { EngramMetrics } from './engram-metrics';

/**
 * Prometheus scrape endpoint. Its figures (memories, database size, backups) cover every namespace, so
 * it needs a credential not bound to one.
 */
@ApiExcludeController()
@RequireScope('read', { wholeStore: true })
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: EngramMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    await sendMetrics(this.metrics, reply);
  }
}

/** The same endpoint without a credential, when METRICS_PUBLIC=true. */
@ApiExcludeController()
@PublicRoute()
@Controller('metrics')
export class PublicMetricsController {
  constructor(private readonly metrics: EngramMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    await sendMetrics(this.metrics, reply);
  }
}

async function sendMetrics(metrics: EngramMetrics, reply: FastifyReply): Promise<void> {
  const body = await metrics.scrape();
  await reply.header('Content-Type', metrics.registry.contentType).send(body);
}
