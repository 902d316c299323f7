import { UsageSignals } from '../storage/usage.store';

/** A memory nobody has used or rated scores this: neither good nor bad. */
export const NEUTRAL_QUALITY = 0.5;
/** Explicit ratings outweigh use, as a person's judgement should. */
const RATING_WEIGHT = 0.6;
/** Uses (a fetch counts as three retrievals) at which the use component saturates. */
const SATURATING_USES = 50;
const FETCH_WEIGHT = 3;
/** Days for the recency component to fall to 1/e. */
const RECENCY_DAYS = 30;
const MS_PER_DAY = 86_400_000;

export interface QualityParts {
  score: number;
  /** 0–1 from use: how often (log-scaled) and how recently. Null when never used. */
  implicit: number | null;
  /** 0–1 from ratings: their mean mapped from -1…1. Null when never rated. */
  rating: number | null;
}

/**
 * A memory's quality, 0–1. Without ratings use can only lift it above neutral (an unused memory is not
 * a bad one); with ratings, they count for 60% and use for 40%, so a thumbs-down can sink it.
 */
export function qualityOf(signals: UsageSignals, now: number): QualityParts {
  const uses = signals.retrievals + FETCH_WEIGHT * signals.fetches;
  const implicit =
    signals.lastUsedAt === null || uses === 0
      ? null
      : 0.5 * Math.min(1, Math.log1p(uses) / Math.log1p(SATURATING_USES)) +
        0.5 * Math.exp(-Math.max(0, now - signals.lastUsedAt) / (RECENCY_DAYS * MS_PER_DAY));
  const rating = signals.ratingCount === 0 ? null : (signals.ratingSum / signals.ratingCount + 1) / 2;
  if (rating === null) {
    return { score: NEUTRAL_QUALITY + (1 - NEUTRAL_QUALITY) * (implicit ?? 0), implicit, rating };
  }
  return { score: RATING_WEIGHT * rating + (1 - RATING_WEIGHT) * (implicit ?? NEUTRAL_QUALITY), implicit, rating };
}
