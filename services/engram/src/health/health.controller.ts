import { Controller, Get, Optional } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { PublicRoute, RequireScope } from '../auth/route-access';
import { AgentHealth } from '../agent/agent-health';
import { JobsHealth } from '../jobs/jobs-health';
import { ReadinessIndicators } from './readiness.indicators';
import { StatusReportService } from './status-report.service';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: ReadinessIndicators,
    private readonly status: StatusReportService,
    private readonly indicator: HealthIndicatorService,
    /** The memory agent's model endpoint: reported, never failing readiness. */
    private readonly agent: AgentHealth,
    /** The job queue (Redis): reported, and degraded rather than failing while Redis is down. */
    @Optional() private readonly jobs?: JobsHealth,
  ) {}

  @Get('health/live')
  @PublicRoute()
  @ApiOperation({ summary: 'Liveness: the process answers (no auth, no data)' })
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @RequireScope('read', { wholeStore: true }) // free disk and queue state are store-wide
  @HealthCheck()
  @ApiSecurity('api_key')
  @ApiOperation({ summary: 'Readiness: database writable, disk space, embedding model loaded (503 when not)' })
  ready() {
    return this.health.check([
      () => this.indicators.databaseWritable(),
      () => this.indicators.diskSpace(),
      () => this.indicators.embedder(),
      ...(this.jobs ? [() => this.jobs!.check()] : []),
      () => this.agent.check(this.indicator),
    ]);
  }

  // MCP Memory Service clients poll this path; it stays open and reveals nothing (GHSA-73hc-m4hx-79pj).
  @Get('api/health')
  @PublicRoute()
  @ApiOperation({ summary: 'Minimal health answer for clients (no auth, no data)' })
  apiHealth() {
    return { status: 'healthy' };
  }

  @Get('api/health/detailed')
  @RequireScope('read')
  @ApiSecurity('api_key')
  @ApiOperation({ summary: 'Statistics, storage, embedding model and versions' })
  detailed() {
    return this.status.report();
  }
}
