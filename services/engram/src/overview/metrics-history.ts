import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EngramMetrics } from '../metrics/engram-metrics';
import { TrafficPoint } from './overview.view';

/** One sample every 15 s, the last hour kept: enough for a chart, nothing to configure. */
export const SAMPLE_INTERVAL_MS = 15_000;
export const KEPT_SAMPLES = 240;

/** Cumulative readings of the process's own histograms at one instant. */
interface Totals {
  atMs: number;
  requests: number;
  serverErrors: number;
  searches: number;
  searchSeconds: number;
  /** Cumulative search counts per upper bound (seconds), summed over modes. */
  searchBuckets: Map<number, number>;
}

/**
 * Turns this process's Prometheus histograms (HTTP requests, searches) into a short time series, so the
 * dashboard can chart rates and latency without a Prometheus server. The newest point is partial: it
 * covers the time since the last sample.
 */
@Injectable()
export class MetricsHistory implements OnModuleInit, OnModuleDestroy {
  private readonly points: TrafficPoint[] = [];
  private last: Totals | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly metrics: EngramMetrics) {}

  async onModuleInit(): Promise<void> {
    this.last = await this.totals();
    this.timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Closes the current interval as a point. */
  async sample(): Promise<void> {
    const now = await this.totals();
    if (this.last) this.points.push(pointBetween(this.last, now));
    if (this.points.length > KEPT_SAMPLES) this.points.shift();
    this.last = now;
  }

  /** The kept points, oldest first, then the partial interval up to now. */
  async series(): Promise<TrafficPoint[]> {
    const now = await this.totals();
    return this.last ? [...this.points, pointBetween(this.last, now)] : [...this.points];
  }

  private async totals(): Promise<Totals> {
    const [http, search] = await Promise.all([
      this.metrics.httpRequestDuration.get(),
      this.metrics.searchDuration.get(),
    ]);
    const totals: Totals = {
      atMs: Date.now(),
      requests: 0,
      serverErrors: 0,
      searches: 0,
      searchSeconds: 0,
      searchBuckets: new Map(),
    };
    for (const { metricName, labels, value } of http.values) {
      if (metricName !== `${http.name}_count`) continue;
      totals.requests += value;
      if (String(labels.status).startsWith('5')) totals.serverErrors += value;
    }
    for (const { metricName, labels, value } of search.values) {
      if (metricName === `${search.name}_count`) totals.searches += value;
      else if (metricName === `${search.name}_sum`) totals.searchSeconds += value;
      else if (metricName === `${search.name}_bucket`) {
        const le = (labels as { le?: string | number }).le; // prom-client adds `le` to bucket readings
        const bound = le === '+Inf' ? Infinity : Number(le);
        totals.searchBuckets.set(bound, (totals.searchBuckets.get(bound) ?? 0) + value);
      }
    }
    return totals;
  }
}

function pointBetween(before: Totals, after: Totals): TrafficPoint {
  const seconds = Math.max((after.atMs - before.atMs) / 1000, 0.001);
  const searches = after.searches - before.searches;
  const buckets = [...after.searchBuckets]
    .map(([bound, count]) => ({ bound, count: count - (before.searchBuckets.get(bound) ?? 0) }))
    .sort((a, b) => a.bound - b.bound);
  return {
    at: new Date(after.atMs).toISOString(),
    seconds: round(seconds),
    requests_per_second: round((after.requests - before.requests) / seconds),
    server_errors: after.serverErrors - before.serverErrors,
    searches,
    search_mean_ms: searches > 0 ? round(((after.searchSeconds - before.searchSeconds) / searches) * 1000) : null,
    search_p95_ms: searches > 0 ? round(quantile(0.95, buckets, searches) * 1000) : null,
  };
}

/**
 * The q-quantile of a histogram's cumulative buckets, interpolated linearly inside the bucket that holds
 * it (as Prometheus's histogram_quantile does); the highest finite bound when it falls in +Inf.
 */
export function quantile(q: number, buckets: readonly { bound: number; count: number }[], total: number): number {
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { bound, count } of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return lowerBound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / Math.max(count - lowerCount, 1);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
