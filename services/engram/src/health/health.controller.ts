import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { ENGRAM_VERSION } from '../common/version';
import { EmbeddingService } from '../embeddings/embedding.service';
import { MemoryService } from '../memories/memory.service';
import { StorageInfoRepository } from '../storage/storage-info.repository';
import { ReadinessIndicators } from './readiness.indicators';

const startedAt = Date.now();

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: ReadinessIndicators,
    private readonly memories: MemoryService,
    private readonly storage: StorageInfoRepository,
    private readonly embeddings: EmbeddingService,
  ) {}

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers (no auth, no data)' })
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @HealthCheck()
  @ApiSecurity('api_key')
  @ApiOperation({ summary: 'Readiness: database writable, disk space, embedding model loaded (503 when not)' })
  ready() {
    return this.health.check([
      () => this.indicators.databaseWritable(),
      () => this.indicators.diskSpace(),
      () => this.indicators.embedder(),
    ]);
  }

  // MCP Memory Service clients poll this path; it stays open and reveals nothing (GHSA-73hc-m4hx-79pj).
  @Get('api/health')
  @ApiOperation({ summary: 'Minimal health answer for clients (no auth, no data)' })
  apiHealth() {
    return { status: 'healthy' };
  }

  @Get('api/health/detailed')
  @ApiSecurity('api_key')
  @ApiOperation({ summary: 'Statistics, storage, embedding model and versions' })
  detailed() {
    const stats = this.memories.stats();
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      status: 'healthy',
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      statistics: {
        total_memories: stats.live,
        deleted_memories: stats.deleted,
        unique_tags: stats.tags,
        memory_types: stats.types,
        oldest_memory: iso(stats.oldestMs),
        newest_memory: iso(stats.newestMs),
      },
      storage: {
        backend: 'sqlite_vec',
        database_size_bytes: this.storage.sizeBytes(),
        free_disk_bytes: this.storage.freeDiskBytes(),
        ...this.storage.versions(),
      },
      embedding: {
        provider: this.embeddings.provider,
        model: this.embeddings.modelId,
        dimension: this.embeddings.dimension,
      },
      versions: { engram: ENGRAM_VERSION, node: process.version },
    };
  }
}
