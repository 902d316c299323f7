/**
 * Deepest nesting of objects and arrays accepted in a request (a body, a tool's arguments, metadata).
 * Nothing Engram stores needs more; far deeper values overflow the stack of the recursive
 * JSON.stringify that stores them, which would be a 500 instead of a 400.
 */
export const MAX_JSON_DEPTH = 64;

/** A lone UTF-16 surrogate: JSON may spell one (`"\ud800"`), but it has no UTF-8 form to store. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Whether a string holds a lone surrogate (a paired one is a character outside the BMP, and fine). */
export function holdsLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * What is wrong with a parsed JSON value, or undefined: nesting deeper than MAX_JSON_DEPTH, or a string
 * (a value or a key) holding a lone surrogate. Walks without recursion, once over each value.
 */
export function jsonShapeProblem(value: unknown): string | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value === 'string') {
      if (holdsLoneSurrogate(next.value)) return 'a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)';
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > MAX_JSON_DEPTH) return `objects and arrays are nested more than ${MAX_JSON_DEPTH} deep`;
    for (const [key, child] of Object.entries(next.value)) {
      if (holdsLoneSurrogate(key)) return 'a key holds a lone UTF-16 surrogate (\\ud800-\\udfff)';
      pending.push({ value: child, depth });
    }
  }
  return undefined;
}
