/**
 * Reciprocal rank fusion: each list contributes weight / (k + rank) for every id it ranks (rank from 1).
 * Robust to the two lists' incomparable score scales (cosine vs BM25).
 */
export interface RankedList {
  ids: readonly number[];
  weight: number;
}

export function reciprocalRankFusion(lists: readonly RankedList[], k: number): Map<number, number> {
  const scores = new Map<number, number>();
  for (const { ids, weight } of lists) {
    ids.forEach((id, index) => scores.set(id, (scores.get(id) ?? 0) + weight / (k + index + 1)));
  }
  return scores;
}
