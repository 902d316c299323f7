import { textProblem } from './request-text';

/**
 * Deepest nesting of objects and arrays accepted in a request (a body, a tool's arguments, metadata).
 * Nothing Engram stores needs more; far deeper values overflow the stack of the recursive
 * JSON.stringify that stores them, which would be a 500 instead of a 400.
 */
export const MAX_JSON_DEPTH = 64;

interface Visit {
  value: unknown;
  depth: number;
  parent?: Visit;
  key?: string;
}

/**
 * What is wrong with a parsed JSON value, or undefined: nesting deeper than MAX_JSON_DEPTH, or a string
 * (a value or a key) that textProblem refuses, named by its path (`memories.1.tags.0`). Walks without
 * recursion, once over each value.
 */
export function jsonShapeProblem(value: unknown): string | undefined {
  const pending: Visit[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value === 'string') {
      const problem = textProblem(next.value);
      if (problem) return `${describePath(next, 'a string')} ${problem}`;
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > MAX_JSON_DEPTH) return `objects and arrays are nested more than ${MAX_JSON_DEPTH} deep`;
    for (const [key, child] of Object.entries(next.value)) {
      const problem = textProblem(key);
      if (problem) return `a key of ${describePath(next, 'the value')} ${problem}`;
      pending.push({ value: child, depth, parent: next, key });
    }
  }
  return undefined;
}

/** `memories.1.content`: the keys from the top to `visit`, built only when a problem is named. */
function describePath(visit: Visit, top: string): string {
  const keys: string[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.unshift(at.key);
  return keys.length === 0 ? top : keys.join('.');
}
