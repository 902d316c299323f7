import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { serviceHelper } from '../engram-cli';
import { ROOT } from '../process-harness';
import { declaredMetrics, seriesLabels } from './declared-metrics';

const { JOB_OUTCOMES } = serviceHelper('metrics/engram-metrics.js');

const DASHBOARD = join(ROOT, 'charts', 'engram', 'dashboards', 'engram.json');
const ALERT_RULES = join(ROOT, 'services', 'prometheus', 'engram-alerts.yml');

/**
 * Labels a series gets from the scrape rather than from Engram: Prometheus's own, the Operator's, and the
 * `component` both the Compose scrape config and the chart's ServiceMonitor add (api, worker).
 */
const TARGET_LABELS = new Set(['job', 'instance', 'pod', 'namespace', 'service', 'container', 'endpoint', 'component']);

/**
 * The labels one PromQL expression relies on, each with the declared series it must be on: a matcher
 * (`name{label="…"}`) on its series, and a `by`/`without`/`on`/`ignoring` list on every declared series of
 * the expression (each side of a division is grouped alike).
 */
function labelsRelied(expr: string, declared: Map<string, Set<string>>): { series: string; label: string }[] {
  const strings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const uses: { series: string; label: string }[] = [];
  const inExpr: string[] = [];
  for (const [, series, matchers] of strings.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
    if (!seriesLabels(series, declared)) continue;
    inExpr.push(series);
    for (const [, label] of matchers.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) uses.push({ series, label });
  }
  for (const [, list] of strings.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
    for (const label of list
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean)) {
      for (const series of inExpr) uses.push({ series, label });
    }
  }
  return uses;
}

function unknownLabels(where: string, expr: string, declared: Map<string, Set<string>>, extra: string[] = []) {
  const relied = labelsRelied(expr, declared);
  const series = [...new Set(relied.map((use) => use.series))];
  return [...relied, ...extra.flatMap((label) => series.map((name) => ({ series: name, label })))]
    .filter(({ series: name, label }) => !TARGET_LABELS.has(label) && !seriesLabels(name, declared)!.has(label))
    .map(({ series: name, label }) => `${where}: ${name} has no label ${label}`);
}

describe('labels the dashboard and the alert rules rely on', () => {
  const declared = declaredMetrics();

  it('reads the labels out of PromQL', () => {
    const uses = labelsRelied(
      'sum by (le, mode) (rate(engram_search_duration_seconds_bucket{job=~"$job",mode!="x"}[5m])) / on (mode) up',
      declared,
    );
    assert.deepEqual(
      uses.map(({ series, label }) => `${series}.${label}`),
      [
        'engram_search_duration_seconds_bucket.job',
        'engram_search_duration_seconds_bucket.mode',
        'engram_search_duration_seconds_bucket.le',
        'engram_search_duration_seconds_bucket.mode',
        'engram_search_duration_seconds_bucket.mode',
      ],
    );
    assert.ok(declared.get('engram_jobs_total')?.has('outcome'));
  });

  it('filters, groups and names legends only by labels the metrics declare', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    let checked = 0;
    const unknown = dashboard.panels.flatMap((panel: any) =>
      (panel.targets ?? []).flatMap((target: { expr: string; legendFormat?: string }) => {
        checked++;
        const legend = [...(target.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map(([, label]) => label);
        return unknownLabels(panel.title, target.expr, declared, legend);
      }),
    );
    assert.deepEqual(unknown, []);
    assert.ok(checked >= 20, `${checked} queries`);
  });

  it('selects engram_jobs_total only by outcomes Engram counts, and a panel listing outcomes lists them all', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const rules = parse(readFileSync(ALERT_RULES, 'utf8')).groups.flatMap((group: any) => group.rules);
    const exprs: string[] = [
      ...dashboard.panels.flatMap((panel: any) => (panel.targets ?? []).map((target: any) => target.expr)),
      ...rules.map((rule: { expr: string }) => rule.expr),
    ];
    const selections = exprs.flatMap((expr) =>
      [...expr.matchAll(/engram_jobs_total\{[^}]*\boutcome\s*(=~|=)\s*"([^"]*)"/g)].map(([, op, value]) => ({
        op,
        outcomes: op === '=' ? [value] : value.split('|'),
      })),
    );
    assert.ok(
      selections.some(({ op }) => op === '=~'),
      'a panel draws the outcomes side by side',
    );
    for (const { op, outcomes } of selections) {
      for (const outcome of outcomes) assert.ok(JOB_OUTCOMES.includes(outcome), `${outcome} is an outcome counted`);
      if (op === '=~') assert.deepEqual([...outcomes].sort(), [...JOB_OUTCOMES].sort(), 'every outcome drawn');
    }
  });

  it('alerts only on labels the metrics declare', () => {
    const rules = parse(readFileSync(ALERT_RULES, 'utf8')).groups.flatMap((group: any) => group.rules);
    const unknown = rules.flatMap((rule: { alert: string; expr: string }) =>
      unknownLabels(rule.alert, rule.expr, declared),
    );
    assert.deepEqual(unknown, []);
    assert.ok(rules.length >= 15, `${rules.length} rules`);
  });
});
