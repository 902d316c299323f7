import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EmbeddingService } from '../embeddings/embedding.service';
import { StorageInfoRepository } from '../storage/storage-info.repository';
import { databaseWritable } from './database-writable.check';

/** What "ready" means: the database accepts writes, its disk has room, the embedding model is loaded. */
@Injectable()
export class ReadinessIndicators {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly storage: StorageInfoRepository,
    private readonly embeddings: EmbeddingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  databaseWritable(): Promise<HealthIndicatorResult> {
    return databaseWritable(this.health, this.storage);
  }

  diskSpace(): HealthIndicatorResult {
    const check = this.health.check('disk');
    const free = this.storage.freeDiskBytes();
    // The database server's disk is watched where it runs (its own metrics and alerts), not from here.
    if (free === undefined) return check.up({ freeBytes: null, message: 'the database server watches its own disk' });
    const minimum = this.config.health.minFreeDiskBytes;
    return free >= minimum
      ? check.up({ freeBytes: free })
      : check.down({
          freeBytes: free,
          minimumBytes: minimum,
          message: 'free disk space below ENGRAM_MIN_FREE_DISK_BYTES',
        });
  }

  embedder(): HealthIndicatorResult {
    const check = this.health.check('embedder');
    const { modelId, dimension } = this.embeddings;
    return dimension > 0
      ? check.up({ model: modelId, dimension })
      : check.down({ message: 'embedding model not loaded' });
  }
}
