import assert from 'node:assert/strict';

/**
 * Asserts that eight times the input costs about eight times as much (linear), never about 64 times
 * (quadratic): a ratio rather than a wall-clock limit, so it holds whatever else the machine is doing.
 * Small and large runs alternate, seven rounds, and the fastest of each counts: both see the same load,
 * and a pause in one run does not count as the code's own work. A measurement over the bar is taken again
 * (ATTEMPTS).
 */
export function assertLinearCost(label: string, input: (scale: number) => string, run: (text: string) => void): void {
  const [smallText, largeText] = [input(1), input(8)];
  const measure = () => {
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
    return { small, large };
  };
  let costs = measure();
  for (let attempt = 1; attempt < ATTEMPTS && !isLinear(costs); attempt += 1) costs = measure();
  assertRatio(label, costs);
}

/** assertLinearCost for work that completes asynchronously (a stream read to its end). */
export async function assertLinearCostAsync(
  label: string,
  input: (scale: number) => string,
  run: (text: string) => Promise<void>,
): Promise<void> {
  const [smallText, largeText] = [input(1), input(8)];
  const measure = async () => {
    let small = Infinity;
    let large = Infinity;
    for (let round = 0; round < ROUNDS; round += 1) {
      small = Math.min(small, await timedAsync(() => run(smallText)));
      large = Math.min(large, await timedAsync(() => run(largeText)));
    }
    return { small, large };
  };
  let costs = await measure();
  for (let attempt = 1; attempt < ATTEMPTS && !isLinear(costs); attempt += 1) costs = await measure();
  assertRatio(label, costs);
}

const ROUNDS = 7;
/**
 * A measurement that looks super-linear is taken again, up to this many in all: quadratic work is about 64
 * times as slow at 8x in every attempt, while a machine loaded by other processes for seconds (seen in CI
 * running beside other test suites: 534 ms against 16 ms where a quiet run took 46 against 6) is not
 * loaded the same way three times over.
 */
const ATTEMPTS = 3;

interface Costs {
  small: number;
  large: number;
}

function isLinear({ small, large }: Costs): boolean {
  // The 5 ms floor keeps a sub-millisecond small run (timer resolution, one pause) from setting the bar.
  return large < Math.max(small, 5) * 32;
}

function assertRatio(label: string, costs: Costs): void {
  assert.ok(
    isLinear(costs),
    `${label}: 8x the input took ${costs.large.toFixed(1)} ms vs ${costs.small.toFixed(1)} ms (${ATTEMPTS} attempts)`,
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
