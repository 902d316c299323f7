/** Scoring of a contradiction detector on labelled pairs: contradiction and update are positives. */

export { cosine } from '../lib/dataset.mjs';

export const POSITIVE_KINDS = new Set(['contradiction', 'update']);

/** Precision, recall and the confusion counts of `{kind, proposed}` judgements. */
export function scoreDetector(judged) {
  const counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const proposedByKind = {};
  for (const { kind, proposed } of judged) {
    const positive = POSITIVE_KINDS.has(kind);
    if (proposed) proposedByKind[kind] = (proposedByKind[kind] ?? 0) + 1;
    if (positive) counts[proposed ? 'tp' : 'fn'] += 1;
    else counts[proposed ? 'fp' : 'tn'] += 1;
  }
  const precision = counts.tp + counts.fp === 0 ? 0 : counts.tp / (counts.tp + counts.fp);
  const recall = counts.tp + counts.fn === 0 ? 0 : counts.tp / (counts.tp + counts.fn);
  const round = (value) => Math.round(value * 1000) / 1000;
  return { precision: round(precision), recall: round(recall), ...counts, proposed_by_kind: proposedByKind };
}
