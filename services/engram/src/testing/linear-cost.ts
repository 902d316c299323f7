import assert from 'node:assert/strict';

/** Fastest of five runs, in ms, so a loaded machine's pauses do not count as the code's own work. */
export function fastestRunMs(run: () => void): number {
  let fastest = Infinity;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const started = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

/**
 * Asserts that eight times the input costs about eight times as much (linear), never about 64 times
 * (quadratic): a ratio rather than a wall-clock limit, so it holds whatever else the machine is doing.
 */
export function assertLinearCost(label: string, input: (scale: number) => string, run: (text: string) => void): void {
  const small = fastestRunMs(() => run(input(1)));
  const large = fastestRunMs(() => run(input(8)));
  // The 5 ms floor keeps a sub-millisecond small run (timer resolution, one pause) from setting the bar.
  assert.ok(
    large < Math.max(small, 5) * 32,
    `${label}: 8x the input took ${large.toFixed(1)} ms vs ${small.toFixed(1)} ms`,
  );
}
