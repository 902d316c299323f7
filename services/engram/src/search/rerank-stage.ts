import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { RerankFailure, RerankRepository } from './rerank.repository';
import { RerankStatus, SearchHit } from './search-hit';

/**
 * The optional second stage of search: a cross-encoder re-orders the first stage's best candidates.
 * A reranker that is slow, down or answers nonsense costs at most its timeout: the search then answers
 * with the first-stage order and says so; it never fails because of the reranker.
 */
@Injectable()
export class RerankStage {
  private readonly logger = new Logger('Rerank');

  constructor(
    private readonly reranker: RerankRepository,
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get configured(): boolean {
    return this.reranker.configured;
  }

  /** First-stage results to fetch so the reranker reads `candidates` of them, never fewer than asked for. */
  depthFor(limit: number, requested: boolean): number {
    return this.configured && requested ? Math.max(limit, this.config.rerank.candidates) : limit;
  }

  async apply(
    query: string,
    hits: SearchHit[],
    requested: boolean,
  ): Promise<{ hits: SearchHit[]; status: RerankStatus }> {
    if (!this.configured) return { hits, status: { applied: false, reason: 'not_configured' } };
    if (!requested) return { hits, status: { applied: false, reason: 'not_requested' } };
    if (hits.length === 0) return { hits, status: { applied: true, model: this.config.rerank.model ?? null } };
    const stop = this.metrics.rerankDuration.startTimer();
    try {
      const scores = await this.reranker.rerank(
        query,
        hits.map((hit) => hit.memory.content),
      );
      stop({ outcome: 'ok' });
      const reranked = hits
        .map((hit, index) => ({ ...hit, score: scores[index], rerankScore: scores[index] }))
        .sort((a, b) => b.score - a.score);
      return { hits: reranked, status: { applied: true, model: this.config.rerank.model ?? null } };
    } catch (error) {
      if (!(error instanceof RerankFailure)) throw error;
      stop({ outcome: error.kind });
      this.metrics.rerankFallbacks.inc({ reason: error.kind });
      this.logger.warn(`answering without the rerank stage: ${error.message}`);
      return { hits, status: { applied: false, reason: error.kind } };
    }
  }
}
