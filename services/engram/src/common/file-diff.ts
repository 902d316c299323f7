import { withNulsShown } from './visible-nul';

/**
 * Unified diffs of memory files (what an agent run changed; each version the file history keeps),
 * computed with bounded work: the common head and tail are skipped in linear time, and Myers's
 * O((N+M)·D) algorithm runs on what is left while the edit distance D stays within `maxEdits` (memory
 * O(D²)) and its line comparisons within `maxWork`. Beyond either bound, or when the diff text would
 * exceed MAX_DIFF_CHARS, there is no diff (null): never slow work. A NUL in a line is shown as ␀
 * (visible-nul.ts), so a diff can be stored as text on either backend.
 */
export interface DiffLimits {
  maxEdits: number;
  maxWork: number;
}
export const DIFF_LIMITS: DiffLimits = { maxEdits: 1_000, maxWork: 20_000_000 };
export const MAX_DIFF_CHARS = 100_000;
const CONTEXT_LINES = 3;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** `before`/`after` are null for a file that did not exist (created) or no longer exists (deleted). */
export function unifiedDiff(path: string, before: string | null, after: string | null): string | null {
  const a = linesOf(before);
  const b = linesOf(after);
  const ops = diffLines(a, b);
  if (ops === undefined) return null;
  const hunks = renderHunks(ops);
  if (hunks === '') return '';
  const text = `--- ${before === null ? '/dev/null' : `a/${path}`}\n+++ ${after === null ? '/dev/null' : `b/${path}`}\n${hunks}`;
  return text.length > MAX_DIFF_CHARS ? null : withNulsShown(text);
}

function linesOf(text: string | null): string[] {
  if (text === null || text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The edit script from `a` to `b`, or undefined when it is beyond the bounds. */
export function diffLines(a: readonly string[], b: readonly string[], limits = DIFF_LIMITS): Op[] | undefined {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const middleA = a.slice(head, a.length - tail);
  const middleB = b.slice(head, b.length - tail);
  const middle = myers(middleA, middleB, limits);
  if (middle === undefined) return undefined;
  const same = (line: string): Op => ({ kind: ' ', line });
  return [...a.slice(0, head).map(same), ...middle, ...a.slice(a.length - tail).map(same)];
}

/**
 * Myers's greedy shortest edit script. `trace[d]` keeps the furthest x per diagonal k ∈ [-d, d] after
 * step d (2d+1 numbers), so memory is O(D²) and time O((N+M)·D); undefined past either limit.
 */
function myers(a: readonly string[], b: readonly string[], { maxEdits, maxWork }: DiffLimits): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const limit = Math.min(n + m, maxEdits);
  let work = 0;
  const offset = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= limit; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      const snakeStart = x;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      work += 1 + x - snakeStart;
      if (work > maxWork) return undefined;
      v[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(v.slice(offset - d, offset + d + 1));
        return backtrack(a, b, trace);
      }
    }
    trace.push(v.slice(offset - d, offset + d + 1));
  }
  return undefined;
}

function backtrack(a: readonly string[], b: readonly string[], trace: readonly Int32Array[]): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d > 0; d--) {
    const previous = trace[d - 1]; // diagonals -(d-1) … d-1, at index k + d - 1
    const at = (k: number) => previous[k + d - 1];
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const previousK = down ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      y--;
      ops.push({ kind: ' ', line: a[--x] });
    }
    if (down) ops.push({ kind: '+', line: b[--y] });
    else ops.push({ kind: '-', line: a[--x] });
  }
  while (x > 0 && y > 0) {
    y--;
    ops.push({ kind: ' ', line: a[--x] });
  }
  return ops.reverse();
}

/** `@@ -start,count +start,count @@` hunks with three lines of context around each run of changes. */
function renderHunks(ops: readonly Op[]): string {
  const changed: number[] = [];
  for (let i = 0; i < ops.length; i++) if (ops[i].kind !== ' ') changed.push(i);
  const parts: string[] = [];
  // 1-based line numbers in a and b of the op at `cursor`, advanced as hunks move forward.
  let cursor = 0;
  let lineA = 1;
  let lineB = 1;
  let start = 0;
  while (start < changed.length) {
    let end = start;
    while (end + 1 < changed.length && changed[end + 1] - changed[end] <= 2 * CONTEXT_LINES) end++;
    const from = Math.max(0, changed[start] - CONTEXT_LINES);
    const to = Math.min(ops.length, changed[end] + CONTEXT_LINES + 1);
    for (; cursor < from; cursor++) {
      if (ops[cursor].kind !== '+') lineA++;
      if (ops[cursor].kind !== '-') lineB++;
    }
    const lines: string[] = [];
    let countA = 0;
    let countB = 0;
    for (let i = from; i < to; i++) {
      if (ops[i].kind !== '+') countA++;
      if (ops[i].kind !== '-') countB++;
      lines.push(`${ops[i].kind}${ops[i].line}\n`);
    }
    parts.push(`@@ -${countA === 0 ? lineA - 1 : lineA},${countA} +${countB === 0 ? lineB - 1 : lineB},${countB} @@\n`);
    parts.push(...lines);
    start = end + 1;
  }
  return parts.join('');
}
