import { serviceHelper } from '../engram-cli';

/** Every metric EngramMetrics declares (the one place metrics are declared), with its labels. */
export function declaredMetrics(): Map<string, Set<string>> {
  const { EngramMetrics } = serviceHelper('metrics/engram-metrics.js');
  const metrics = new EngramMetrics();
  return new Map(
    metrics.registry
      .getMetricsAsArray()
      .map((metric: { name: string; labelNames?: string[] }) => [metric.name, new Set(metric.labelNames ?? [])]),
  );
}

/** The labels of the declared metric a series belongs to (histograms add _bucket with `le`, _sum, _count). */
export function seriesLabels(series: string, declared: Map<string, Set<string>>): Set<string> | undefined {
  const own = declared.get(series);
  if (own) return own;
  const [, base, suffix] = /^(.*)_(bucket|sum|count)$/.exec(series) ?? [];
  const labels = base === undefined ? undefined : declared.get(base);
  return labels && suffix === 'bucket' ? new Set([...labels, 'le']) : labels;
}
