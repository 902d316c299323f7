import { opposites, sameValueClass, StatementTerms, statementTerms } from './statement-terms';

/** Words by which a newer statement says that something changed. */
const CHANGE_CUES = new Set([
  'moved',
  'now',
  'changed',
  'switched',
  'renamed',
  'replaced',
  'migrated',
  'promoted',
  'stopped',
  'rescheduled',
  'raised',
  'lowered',
  'sold',
  'became',
  'longer',
  'anymore',
  'since',
  'new',
  'got',
]);

export interface StatementToCompare {
  content: string;
  createdAt: number;
}

export interface ContradictionFinding {
  /** 0–1: how sure the detector is that the two cannot both hold now. */
  score: number;
  /** Why, in words a reviewer can check. */
  evidence: string[];
}

/** Below this cosine similarity two statements are taken to be about different things. */
export const MIN_SIMILARITY = 0.3;
/** Findings scoring lower are not proposed. */
export const PROPOSAL_THRESHOLD = 0.6;

/**
 * The CPU contradiction detector: no model, only what the two texts say. Two statements conflict when
 * they are about the same subject (similar in meaning, sharing words) and differ where it matters: a
 * different value said of the same thing (numbers, dates, times, names, months, weekdays), opposite
 * words, one negated and the other not, or the newer one saying that something changed. Undefined when
 * nothing points to a conflict.
 */
export function detectContradiction(
  older: StatementToCompare,
  newer: StatementToCompare,
  similarity: number,
): ContradictionFinding | undefined {
  if (similarity < MIN_SIMILARITY) return undefined;
  const first = statementTerms(older.content);
  const second = statementTerms(newer.content);
  const shared = [...first.words].filter((word) => second.words.has(word));
  if (shared.length === 0) return undefined;
  const overlap = shared.length / new Set([...first.words, ...second.words]).size;
  const evidence: string[] = [];
  let strength = 0;
  const clash = differingValues(first, second);
  if (clash.length > 0) {
    evidence.push(`different values for the same thing: ${clash.join('; ')}`);
    strength += 0.45;
  }
  const opposed = opposites(first, second);
  if (opposed.length > 0 && overlap >= 0.25) {
    evidence.push(`opposite words: ${opposed.join(', ')}`);
    strength += 0.4;
  }
  if (first.negated !== second.negated && overlap >= 0.6) {
    evidence.push(`${first.negated ? 'the older' : 'the newer'} statement is negated, the other is not`);
    strength += 0.4;
  }
  const cues = [...second.words].filter((word) => CHANGE_CUES.has(word) && !first.words.has(word));
  if (cues.length > 0 && newer.createdAt >= older.createdAt) {
    evidence.push(`the newer statement says it changed ("${cues.join('", "')}")`);
    strength += 0.3;
    const replaced = replacedValue(first, second);
    if (replaced && clash.length === 0) {
      evidence.push(`and gives another value: ${replaced}`);
      strength += 0.25;
    }
  }
  if (strength === 0) return undefined;
  evidence.unshift(`same subject (${shared.slice(0, 4).join(', ')}), similarity ${similarity.toFixed(2)}`);
  const score = Math.min(1, 0.35 * similarity + 0.25 * overlap + strength);
  return score >= PROPOSAL_THRESHOLD ? { score: Math.round(score * 1000) / 1000, evidence } : undefined;
}

/** A value only the older states beside one of its kind only the newer states: "berlin → porto". */
function replacedValue(first: StatementTerms, second: StatementTerms): string | undefined {
  const firstValues = new Set(first.values.map((value) => value.value));
  const secondValues = new Set(second.values.map((value) => value.value));
  const gone = [...firstValues].filter((value) => !secondValues.has(value));
  const added = [...secondValues].filter((value) => !firstValues.has(value));
  for (const a of gone) {
    const b = added.find((candidate) => sameValueClass(a, candidate));
    if (b !== undefined) return `${a} → ${b}`;
  }
  return undefined;
}

/** Values said of the same thing (same context word) that differ: "lands 18:40 ≠ 07:15". */
function differingValues(first: StatementTerms, second: StatementTerms): string[] {
  const firstValues = new Set(first.values.map((value) => value.value));
  const secondValues = new Set(second.values.map((value) => value.value));
  const clashes: string[] = [];
  for (const a of first.values) {
    if (secondValues.has(a.value) || a.context === '') continue;
    const b = second.values.find(
      (candidate) =>
        candidate.context === a.context &&
        !firstValues.has(candidate.value) &&
        sameValueClass(a.value, candidate.value),
    );
    if (b) clashes.push(`${a.context}: ${a.value} ≠ ${b.value}`);
  }
  return clashes;
}
