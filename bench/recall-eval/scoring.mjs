/**
 * LoCoMo retrieval scoring, exactly as ../shared/data/locomo/README.md specifies, so figures compare across
 * runs and with the held-out half. Pure functions: no I/O, no dataset content.
 */

export const CATEGORY_NAMES = { 1: 'multi-hop', 2: 'temporal', 3: 'open-domain', 4: 'single-hop', 5: 'adversarial' };
/** Category 5 questions are unanswerable by design: reported on their own, left out of headline figures. */
export const ADVERSARIAL_CATEGORY = 5;
/** MRR looks for the first relevant result within this many. */
export const MRR_DEPTH = 10;

/**
 * One parser for every dialogue id, in observations and in evidence. Accepts a list, or a string joined by
 * commas, semicolons or spaces; repairs "D:11:26" → "D11:26" and "D30:05" → "D30:5"; drops anything that is
 * not an id (a bare "D"). Returns distinct ids in first-seen order.
 */
export function normaliseDiaIds(value) {
  const ids = [];
  for (const token of tokens(value)) {
    const match = /^D:?(\d+):(\d+)$/i.exec(token);
    if (match) ids.push(`D${Number(match[1])}:${Number(match[2])}`);
  }
  return [...new Set(ids)];
}

function tokens(value) {
  if (Array.isArray(value)) return value.flatMap(tokens);
  if (typeof value !== 'string') return [];
  return value.split(/[,;\s]+/).filter((token) => token !== '');
}

/**
 * R@k: the share of distinct evidence ids found among the ids of the top k results (duplicates count once,
 * never above 1). `results` is the ranked list of each result's id list.
 */
export function recallAtK(results, evidence, k) {
  const wanted = new Set(evidence);
  if (wanted.size === 0) return 0;
  const found = new Set(
    results
      .slice(0, k)
      .flat()
      .filter((id) => wanted.has(id)),
  );
  return found.size / wanted.size;
}

/** 1 / rank of the first result (within the top 10) carrying any evidence id, else 0. */
export function reciprocalRank(results, evidence, depth = MRR_DEPTH) {
  const wanted = new Set(evidence);
  const index = results.slice(0, depth).findIndex((ids) => ids.some((id) => wanted.has(id)));
  return index === -1 ? 0 : 1 / (index + 1);
}

/** The scores of one question. Null when it has no evidence: such questions are not scored. */
export function scoreQuestion(results, evidence) {
  if (evidence.length === 0) return null;
  return {
    r_at_5: recallAtK(results, evidence, 5),
    r_at_10: recallAtK(results, evidence, 10),
    mrr: reciprocalRank(results, evidence),
  };
}

/**
 * Averages over questions: headline figures without category 5, one entry per category, and category 5 on
 * its own. `scored` holds `{ category, r_at_5, r_at_10, mrr }`.
 */
export function summarise(scored) {
  const headline = scored.filter((score) => score.category !== ADVERSARIAL_CATEGORY);
  const adversarial = scored.filter((score) => score.category === ADVERSARIAL_CATEGORY);
  const categories = [...new Set(headline.map((score) => score.category))].sort((a, b) => a - b);
  const summary = {
    ...average(headline),
    by_category: Object.fromEntries(
      categories.map((category) => [
        category,
        {
          name: CATEGORY_NAMES[category] ?? String(category),
          ...average(headline.filter((s) => s.category === category)),
        },
      ]),
    ),
  };
  if (adversarial.length > 0) summary.category_5 = { name: CATEGORY_NAMES[5], ...average(adversarial) };
  return summary;
}

function average(scores) {
  const mean = (field) => (scores.length === 0 ? 0 : scores.reduce((sum, s) => sum + s[field], 0) / scores.length);
  return { questions: scores.length, r_at_5: mean('r_at_5'), r_at_10: mean('r_at_10'), mrr: mean('mrr') };
}
