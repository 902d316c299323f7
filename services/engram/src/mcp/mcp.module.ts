import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { MemoriesModule } from '../memories/memories.module';
import { SearchModule } from '../search/search.module';
import { McpCatalog } from './mcp-catalog';
import { McpHttpEndpoint } from './mcp-http.endpoint';

@Module({
  imports: [MemoriesModule, SearchModule, HealthModule],
  providers: [McpCatalog, McpHttpEndpoint],
  exports: [McpCatalog, McpHttpEndpoint],
})
export class McpModule {}
