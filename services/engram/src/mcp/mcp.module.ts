import { Module } from '@nestjs/common';
import { AgentModule } from '../agent/agent.module';
import { ConflictsModule } from '../conflicts/conflicts.module';
import { ConsolidationModule } from '../consolidation/consolidation.module';
import { HarvestModule } from '../harvest/harvest.module';
import { HealthModule } from '../health/health.module';
import { MemoriesModule } from '../memories/memories.module';
import { QualityModule } from '../quality/quality.module';
import { SearchModule } from '../search/search.module';
import { StorageModule } from '../storage/storage.module';
import { McpCancellations } from './mcp-cancellations';
import { McpCatalog } from './mcp-catalog';
import { McpHttpEndpoint } from './mcp-http.endpoint';
import { McpResourceFeed } from './mcp-resource-feed';

@Module({
  imports: [
    MemoriesModule,
    SearchModule,
    QualityModule,
    ConflictsModule.forRole('api'),
    ConsolidationModule.forRole('api'),
    HarvestModule,
    HealthModule,
    AgentModule,
    StorageModule,
  ],
  providers: [McpCatalog, McpHttpEndpoint, McpCancellations, McpResourceFeed],
  exports: [McpCatalog, McpHttpEndpoint, McpResourceFeed],
})
export class McpModule {}
