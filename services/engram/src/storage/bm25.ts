/**
 * BM25 as SQLite's FTS5 scores it (k1 1.2, b 0.75, its IDF), for the keyword rankings that compute it
 * themselves: PostgreSQL's, and SQLite's past FTS5's bm25() (sqlite-keyword-ranking.ts). Hybrid fusion's
 * weights were fitted on FTS5's scores, so every backend scores alike.
 */

/** Term-frequency saturation. */
export const K1 = 1.2;
/** Length normalisation. */
export const B = 0.75;

/** FTS5's IDF: a term in half the memories or more still counts, barely (1e-6), rather than negatively. */
export function inverseDocumentFrequency(rows: number, documents: number): number {
  const idf = Math.log((documents - rows + 0.5) / (rows + 0.5));
  return idf > 0 ? idf : 1e-6;
}

/** One document's score: each term's IDF times its saturated, length-normalised frequency, summed. */
export function bm25(
  frequencies: readonly number[],
  idfs: readonly number[],
  length: number,
  averageLength: number,
): number {
  const norm = K1 * (1 - B + (B * length) / averageLength);
  let score = 0;
  for (let i = 0; i < frequencies.length; i++) {
    const tf = frequencies[i];
    if (tf > 0) score += (idfs[i] * tf * (K1 + 1)) / (tf + norm);
  }
  return score;
}
