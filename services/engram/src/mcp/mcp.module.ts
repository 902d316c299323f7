import { Module } from '@nestjs/common';
import { AgentModule } from '../agent/agent.module';
import { ConflictsModule } from '../conflicts/conflicts.module';
import { HarvestModule } from '../harvest/harvest.module';
import { HealthModule } from '../health/health.module';
import { MemoriesModule } from '../memories/memories.module';
import { QualityModule } from '../quality/quality.module';
import { SearchModule } from '../search/search.module';
import { McpCatalog } from './mcp-catalog';
import { McpHttpEndpoint } from './mcp-http.endpoint';

@Module({
  imports: [
    MemoriesModule,
    SearchModule,
    QualityModule,
    ConflictsModule.forRole('api'),
    HarvestModule,
    HealthModule,
    AgentModule,
  ],
  providers: [McpCatalog, McpHttpEndpoint],
  exports: [McpCatalog, McpHttpEndpoint],
})
export class McpModule {}
