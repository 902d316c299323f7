import { UnprocessableRequest } from '../common/domain-errors';
import { parseTimeExpression } from './time-expression';

export interface TimeFilterInput {
  time_expr?: string;
  /** Epoch ms, inclusive. */
  after?: number;
  /** Epoch ms, exclusive. */
  before?: number;
}

export interface CreatedRange {
  createdFromMs?: number;
  createdBeforeMs?: number;
}

/**
 * Turns a time phrase and/or explicit bounds into one created-at range (their intersection).
 * An empty range is the client's mistake and is refused rather than answered with nothing.
 */
export function resolveTimeFilter(input: TimeFilterInput, now: Date, timeZone: string): CreatedRange {
  const phrase = input.time_expr?.trim() ? parseTimeExpression(input.time_expr, now, timeZone) : {};
  const from = maxDefined(phrase.startMs, input.after);
  const before = minDefined(phrase.endMs, input.before);
  if (from !== undefined && before !== undefined && from >= before) {
    throw new UnprocessableRequest(
      `The time range is empty: it starts at ${new Date(from).toISOString()} and ends at ${new Date(before).toISOString()}`,
    );
  }
  return { createdFromMs: from, createdBeforeMs: before };
}

function maxDefined(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function minDefined(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
