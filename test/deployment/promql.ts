/** What the dashboard and alert tests read out of PromQL and Prometheus expositions. */

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** Metric names a PromQL expression selects (functions, labels, ranges and keywords removed). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter(([, name, call]) => !call && !PROMQL_WORDS.has(name.toLowerCase()))
    .map(([, name]) => name);
}

/** `# TYPE name kind` lines of a Prometheus exposition. */
export function exportedTypes(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, kind]) => [name, kind]));
}

/** True when a series name is produced by an exported metric (histograms add _bucket, _sum, _count). */
export function isExported(name: string, types: Map<string, string>): boolean {
  const kind = types.get(name);
  if (kind && kind !== 'histogram' && kind !== 'summary') return true;
  const [, base, suffix] = /^(.*)_(bucket|sum|count)$/.exec(name) ?? [];
  if (!base) return false;
  const baseKind = types.get(base);
  return baseKind === 'histogram' || (baseKind === 'summary' && suffix !== 'bucket');
}
