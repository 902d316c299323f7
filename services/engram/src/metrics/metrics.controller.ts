import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EngramMetrics } from './engram-metrics';

/** Prometheus scrape endpoint (behind the API key unless METRICS_PUBLIC=true). */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: EngramMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.scrape();
    reply.header('Content-Type', this.metrics.registry.contentType).send(body);
  }
}
