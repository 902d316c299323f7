/**
 * Fusion of the two hybrid-search lists (vector nearest neighbours and BM25 keyword matches) into one
 * ranking. Both functions answer id → fused score, larger is better.
 */
export interface RankedList {
  ids: readonly number[];
  weight: number;
}

/**
 * Reciprocal rank fusion: each list contributes weight / (k + rank) for every id it ranks (rank from 1),
 * plus `consensusBoost` for an id every list ranks. Uses ranks only, so it ignores how far apart the
 * scores are: a strong keyword match and a weak one a rank below count almost the same.
 */
export function reciprocalRankFusion(lists: readonly RankedList[], k: number, consensusBoost = 0): Map<number, number> {
  const scores = new Map<number, number>();
  const listsRanking = new Map<number, number>();
  for (const { ids, weight } of lists) {
    ids.forEach((id, index) => {
      scores.set(id, (scores.get(id) ?? 0) + weight / (k + index + 1));
      listsRanking.set(id, (listsRanking.get(id) ?? 0) + 1);
    });
  }
  if (consensusBoost !== 0) {
    for (const [id, count] of listsRanking)
      if (count === lists.length) scores.set(id, scores.get(id)! + consensusBoost);
  }
  return scores;
}

export interface ScoredSignal {
  /** The signal's raw score of candidates; a candidate without one scores 0 (e.g. BM25 of a non-match). */
  scores: ReadonlyMap<number, number>;
  weight: number;
}

/**
 * Convex combination of min-max normalised scores: each signal is rescaled to 0…1 over the candidate
 * set (best 1, worst 0), weighted and summed. Unlike rank fusion it keeps the margins: a memory far ahead
 * on one signal stays ahead, a near-tie stays a near-tie.
 */
export function weightedScoreFusion(
  candidates: readonly number[],
  signals: readonly ScoredSignal[],
): Map<number, number> {
  const fused = new Map<number, number>(candidates.map((id) => [id, 0]));
  for (const { scores, weight } of signals) {
    const values = candidates.map((id) => scores.get(id) ?? 0);
    const low = Math.min(...values);
    const range = Math.max(...values) - low;
    if (weight === 0) continue;
    // A signal that cannot tell the candidates apart says nothing about their order; when it found them
    // all (a lone candidate, say), it still counts fully, so a sole perfect hit does not score 0.
    if (range === 0) {
      if (low > 0) candidates.forEach((id) => fused.set(id, fused.get(id)! + weight));
      continue;
    }
    candidates.forEach((id, index) => fused.set(id, fused.get(id)! + (weight * (values[index] - low)) / range));
  }
  return fused;
}
