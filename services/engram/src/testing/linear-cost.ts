import assert from 'node:assert/strict';
import { cpuTimeOf, cpuTimeOfSync } from './cpu-time';

/**
 * Asserts that eight times the input costs about eight times as much (linear), never about 64 times
 * (quadratic): a ratio of the CPU time this process spends on each run (testing/cpu-time.ts), not of
 * wall-clock time, so the time other processes hold the cores is not counted as the code's own work.
 * Small and large runs alternate, seven rounds, and the cheapest of each counts, so a garbage collection
 * in one run does not set the bar. A measurement over the bar is taken again (ATTEMPTS).
 */
export function assertLinearCost(label: string, input: (scale: number) => string, run: (text: string) => void): void {
  const [smallText, largeText] = [input(1), input(8)];
  const measure = () => {
    let small = Infinity;
    let large = Infinity;
    for (let round = 0; round < ROUNDS; round += 1) {
      small = Math.min(
        small,
        cpuTimeOfSync(() => run(smallText)),
      );
      large = Math.min(
        large,
        cpuTimeOfSync(() => run(largeText)),
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
      small = Math.min(small, await cpuTimeOf(() => run(smallText)));
      large = Math.min(large, await cpuTimeOf(() => run(largeText)));
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
 * times as costly at 8x in every attempt, while what a loaded machine still adds to a run's CPU time (caches
 * and a core's shared units taken by other processes) does not do so three times over.
 */
const ATTEMPTS = 3;

interface Costs {
  small: number;
  large: number;
}

function isLinear({ small, large }: Costs): boolean {
  // The 5 ms floor keeps a sub-millisecond small run (clock resolution, one pause) from setting the bar.
  return large < Math.max(small, 5) * 32;
}

function assertRatio(label: string, costs: Costs): void {
  assert.ok(
    isLinear(costs),
    `${label}: 8x the input took ${costs.large.toFixed(1)} ms of CPU vs ${costs.small.toFixed(1)} ms (${ATTEMPTS} attempts)`,
  );
}
