import { MemoryQuality, QualityDistribution, RatingOutcome } from './quality.service';

const round = (value: number) => Math.round(value * 1000) / 1000;

/** A memory's quality as MCP Memory Service reports it, plus the signals it is built from. */
export function toQualityView({ memory, signals, quality }: MemoryQuality) {
  return {
    content_hash: memory.contentHash,
    quality_score: round(quality.score),
    quality_provider: 'implicit',
    access_count: signals.retrievals + signals.fetches,
    retrievals: signals.retrievals,
    fetches: signals.fetches,
    last_accessed_at: signals.lastUsedAt === null ? null : signals.lastUsedAt / 1000,
    user_rating: signals.lastRating,
    user_feedback: signals.lastFeedback,
    rating_count: signals.ratingCount,
    quality_components: {
      implicit_score: quality.implicit === null ? null : round(quality.implicit),
      rating_score: quality.rating === null ? null : round(quality.rating),
    },
  };
}

export function toRatingView(outcome: RatingOutcome) {
  return {
    success: true,
    message: `Memory rated: ${['thumbs down', 'neutral', 'thumbs up'][(outcome.signals.lastRating ?? 0) + 1]}`,
    content_hash: outcome.memory.contentHash,
    new_quality_score: round(outcome.quality.score),
    old_quality_score: round(outcome.previousScore),
  };
}

export function toDistributionView(distribution: QualityDistribution, range: { min: number; max: number }) {
  const entry = (scored: QualityDistribution['top'][number]) => ({
    content_hash: scored.contentHash,
    content: scored.content.length > 100 ? `${scored.content.slice(0, 100)}...` : scored.content,
    memory_type: scored.memoryType,
    quality_score: round(scored.score),
    access_count: scored.uses,
  });
  return {
    total_memories: distribution.total,
    high_quality_count: distribution.high,
    medium_quality_count: distribution.medium,
    low_quality_count: distribution.low,
    average_score: round(distribution.average),
    rated_count: distribution.rated,
    used_count: distribution.used,
    provider_breakdown: distribution.total === 0 ? {} : { implicit: distribution.total },
    top_memories: distribution.top.map(entry),
    bottom_memories: distribution.bottom.map(entry),
    quality_range: range,
  };
}
