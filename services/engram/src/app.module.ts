import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AgentModule } from './agent/agent.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { UnreadBodyGuard } from './http/unread-body.guard';
import { UnreadQueryGuard } from './http/unread-query.guard';
import { ConfigModule } from './config/config.module';
import { AppConfig } from './config/config.types';
import { EventStreamModule } from './events/event-stream.module';
import { EventsModule } from './events/events.module';
import { ExportModule } from './export/export.module';
import { HarvestModule } from './harvest/harvest.module';
import { HealthModule } from './health/health.module';
import { jobModules } from './job-modules';
import { McpModule } from './mcp/mcp.module';
import { MemoriesModule } from './memories/memories.module';
import { MetricsModule } from './metrics/metrics.module';
import { OAuthModule } from './oauth/oauth.module';
import { OverviewModule } from './overview/overview.module';
import { SearchModule } from './search/search.module';

@Module({})
export class AppModule {
  /** `serving`: the HTTP api (`engram serve`), which may own the job schedules without Redis. */
  static forRoot(config: AppConfig, { serving = false } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        EventsModule,
        AuditModule.forRoot('api'),
        MetricsModule.withEndpoint(config),
        AuthModule.forRoot(config),
        ...(config.oauth.enabled ? [OAuthModule] : []),
        MemoriesModule,
        SearchModule,
        HarvestModule,
        HealthModule,
        EventStreamModule,
        McpModule,
        AgentModule,
        OverviewModule,
        ExportModule,
        ...jobModules('api', { schedules: serving }),
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_GUARD, useClass: UnreadBodyGuard },
        { provide: APP_GUARD, useClass: UnreadQueryGuard },
      ],
    };
  }
}
