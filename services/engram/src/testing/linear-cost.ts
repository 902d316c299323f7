import assert from 'node:assert/strict';

/**
 * Asserts that eight times the input costs about eight times as much (linear), never about 64 times
 * (quadratic): a ratio rather than a wall-clock limit, so it holds whatever else the machine is doing.
 * Small and large runs alternate, seven rounds, and the fastest of each counts: both see the same load,
 * and a pause in one run does not count as the code's own work.
 */
export function assertLinearCost(label: string, input: (scale: number) => string, run: (text: string) => void): void {
  const [smallText, largeText] = [input(1), input(8)];
  let small = Infinity;
  let large = Infinity;
  for (let round = 0; round < ROUNDS; round += 1) {
    small = Math.min(
      small,
      timed(() => run(smallText)),
    );
    large = Math.min(
      large,
      timed(() => run(largeText)),
    );
  }
  assertRatio(label, small, large);
}

/** assertLinearCost for work that completes asynchronously (a stream read to its end). */
export async function assertLinearCostAsync(
  label: string,
  input: (scale: number) => string,
  run: (text: string) => Promise<void>,
): Promise<void> {
  const [smallText, largeText] = [input(1), input(8)];
  let small = Infinity;
  let large = Infinity;
  for (let round = 0; round < ROUNDS; round += 1) {
    small = Math.min(small, await timedAsync(() => run(smallText)));
    large = Math.min(large, await timedAsync(() => run(largeText)));
  }
  assertRatio(label, small, large);
}

const ROUNDS = 7;

function assertRatio(label: string, small: number, large: number): void {
  // The 5 ms floor keeps a sub-millisecond small run (timer resolution, one pause) from setting the bar.
  assert.ok(
    large < Math.max(small, 5) * 32,
    `${label}: 8x the input took ${large.toFixed(1)} ms vs ${small.toFixed(1)} ms`,
  );
}

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

async function timedAsync(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}
