/**
 * Runs async work while a 10 ms timer watches the event loop; returns the worst delay the timer saw
 * and how long the work took. A blocked loop shows as a lag close to the work's duration.
 */
export async function measureEventLoopLag(
  work: () => Promise<unknown>,
): Promise<{ maxLagMs: number; elapsedMs: number }> {
  let maxLagMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - 10);
    last = now;
  }, 10);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { maxLagMs, elapsedMs: performance.now() - started };
}
