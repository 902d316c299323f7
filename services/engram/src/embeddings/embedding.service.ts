import { Inject, Injectable } from '@nestjs/common';
import { RecentlyUsedByNamespace } from '../common/recently-used-by-namespace';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { SpanKind, traced } from '../tracing/spans';
import { EMBEDDER, Embedder, EmbeddingPriority } from './embedder';

/**
 * Recent search queries whose vectors are kept (an agent often repeats a query within a session), each
 * namespace its own: answered from another namespace's query, a tenant's search would come back sooner
 * (no call to the embedding endpoint, a lower processing_time_ms) and tell it that someone else had just
 * asked the same; in one LRU for all, one tenant's distinct queries pushed out everyone else's. A namespace
 * keeps its 256 most recent, the process four namespaces' worth (2 MB of vectors at 512 dimensions).
 */
const QUERY_CACHE_BOUNDS = { perNamespace: 256, total: 1024 };

/** What services call to embed text: the configured provider, measured. */
@Injectable()
export class EmbeddingService {
  /** Query text → vector, in the namespace searched. */
  private readonly recentQueries = new RecentlyUsedByNamespace<string, Float32Array>(QUERY_CACHE_BOUNDS);

  constructor(
    @Inject(EMBEDDER) private readonly embedder: Embedder,
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get modelId(): string {
    return this.embedder.modelId;
  }

  get dimension(): number {
    return this.embedder.dimension;
  }

  get provider(): string {
    return this.embedder.provider;
  }

  /** What computes the vectors (see Embedder.engine), for the startup log. */
  get engine(): string {
    return this.embedder.engine;
  }

  async embedMany(texts: readonly string[], priority: EmbeddingPriority = 'bulk'): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const stop = this.metrics.embeddingDuration.startTimer({ provider: this.embedder.provider });
    try {
      const attributes = {
        'engram.embedding.provider': this.embedder.provider,
        'engram.embedding.texts': texts.length,
      };
      return await traced('embedding', attributes, () => this.embedder.embed(texts, priority), SpanKind.CLIENT);
    } catch (error) {
      this.metrics.embeddingErrors.inc({ provider: this.embedder.provider });
      throw error;
    } finally {
      stop();
      this.metrics.embeddedTexts.inc({ provider: this.embedder.provider }, texts.length);
    }
  }

  async embedOne(text: string): Promise<Float32Array> {
    const [vector] = await this.embedMany([text]);
    return vector;
  }

  /**
   * A search query's vector: the query after the configured prefix (ENGRAM_EMBEDDING_QUERY_PREFIX), from
   * the recent queries of the namespace searched or embedded ahead of queued bulk work. The vector is
   * shared with later hits of the cache, so callers must not modify it.
   */
  async embedQuery(query: string, namespace: string): Promise<Float32Array> {
    const text = `${this.config.embedding.queryPrefix}${query}`;
    const cached = this.recentQueries.get(namespace, text);
    if (cached) return cached;
    const [vector] = await this.embedMany([text], 'query');
    this.recentQueries.set(namespace, text, vector);
    return vector;
  }
}
