/**
 * mulberry32: a small seeded generator of numbers in [0, 1) for test data; the same seed gives the same
 * numbers on every run. The whole-stack tests keep their own copy (test/fuzz-inputs.ts): test/ does not
 * import service code.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
