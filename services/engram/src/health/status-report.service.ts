import { Inject, Injectable } from '@nestjs/common';
import { currentContext } from '../auth/request-context';
import { APP_CONFIG, AppConfig, StorageBackend } from '../config/config.types';
import { ENGRAM_VERSION } from '../common/version';
import { EmbeddingService } from '../embeddings/embedding.service';
import { MemoryService } from '../memories/memory.service';
import { StorageInfoRepository, StorageVersions } from '../storage/storage-info.repository';

const startedAt = Date.now();

/**
 * The detailed status both `GET /api/health/detailed` and the MCP health tools answer with. Statistics
 * are the caller's namespace's; the database and disk sizes cover every namespace, so a credential bound
 * to one gets null there.
 */
export interface StatusReport {
  status: 'healthy';
  uptime_seconds: number;
  statistics: {
    total_memories: number;
    deleted_memories: number;
    unique_tags: number;
    memory_types: { memory_type: string; count: number }[];
    oldest_memory: string | null;
    newest_memory: string | null;
  };
  /** With the engine's versions: `sqlite` and `sqliteVec`, or `postgres` and `pgvector`. */
  storage: {
    backend: StorageBackend;
    database_size_bytes: number | null;
    free_disk_bytes: number | null;
  } & StorageVersions;
  embedding: { provider: string; model: string; dimension: number };
  /** How search ranks: the fusion, the floor MCP tools and the dashboard apply by default, the reranker. */
  search: { fusion: string; default_min_score: number; rerank: { model: string | null } | null };
  versions: { engram: string; node: string };
}

@Injectable()
export class StatusReportService {
  constructor(
    private readonly memories: MemoryService,
    private readonly storage: StorageInfoRepository,
    private readonly embeddings: EmbeddingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async report(): Promise<StatusReport> {
    const stats = await this.memories.stats();
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const wholeStore = currentContext().principal.boundNamespace === undefined;
    return {
      status: 'healthy',
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      statistics: {
        total_memories: stats.live,
        deleted_memories: stats.deleted,
        unique_tags: (await this.memories.tags()).length,
        memory_types: stats.types,
        oldest_memory: iso(stats.oldestMs),
        newest_memory: iso(stats.newestMs),
      },
      storage: {
        backend: this.storage.backend,
        database_size_bytes: wholeStore ? await this.storage.sizeBytes() : null,
        free_disk_bytes: wholeStore ? (this.storage.freeDiskBytes() ?? null) : null,
        ...(await this.storage.versions()),
      },
      embedding: {
        provider: this.embeddings.provider,
        model: this.embeddings.modelId,
        dimension: this.embeddings.dimension,
      },
      search: {
        fusion: this.config.search.fusionMethod,
        default_min_score: this.config.search.minScore,
        rerank: this.config.rerank.url ? { model: this.config.rerank.model ?? null } : null,
      },
      versions: { engram: ENGRAM_VERSION, node: process.version },
    };
  }
}
