/** Latency summaries in milliseconds, nearest-rank percentiles. */
export function summarise(samplesMs) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const round = (value) => Math.round(value * 100) / 100;
  return {
    n: sorted.length,
    p50: round(at(50)),
    p95: round(at(95)),
    p99: round(at(99)),
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
  };
}

/** Times fn once per input after `warmup` untimed calls; returns the summary. */
export async function timeEach(inputs, fn, warmup = 10) {
  for (const input of inputs.slice(0, warmup)) await fn(input);
  const samples = [];
  for (const input of inputs) {
    const started = performance.now();
    await fn(input);
    samples.push(performance.now() - started);
  }
  return summarise(samples);
}
