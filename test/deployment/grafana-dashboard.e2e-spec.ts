import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningStack, startApiAndWorker } from '../engram-cli';
import { call, ROOT, tempDir } from '../process-harness';
import { exportedTypes, isExported, metricNames } from './promql';
import { PROMETHEUS_SERIES, VLLM_METRICS } from './vllm-metrics';

const DASHBOARD = join(ROOT, 'charts', 'engram', 'dashboards', 'engram.json');
/** The alert rules (the chart's, as rendered for Compose; alert-rules.e2e-spec.ts keeps them equal). */
const ALERT_RULES = join(ROOT, 'services', 'prometheus', 'engram-alerts.yml');
const KEY = 'dashboard-test-key-0123456789';

/**
 * Metrics the dashboard charts before Engram exports them, each declared by an open issue. Keep it
 * short: the test fails once a name is exported, so it leaves this list when its issue lands.
 */
const PENDING_METRICS: Record<string, string> = {};

/** Every query of the dashboard: panel targets and template variables. */
function dashboardQueries(dashboard: any): { where: string; expr: string }[] {
  const queries: { where: string; expr: string }[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) queries.push({ where: panel.title, expr: target.expr });
  }
  for (const variable of dashboard.templating.list.filter((v: any) => v.type === 'query')) {
    const definition = typeof variable.query === 'string' ? variable.query : variable.query.query;
    const inner = /^label_values\((.*),\s*\w+\)$/.exec(definition)?.[1] ?? definition;
    queries.push({ where: `variable ${variable.name}`, expr: inner });
  }
  return queries;
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(response.status, 200);
  return response.text();
}

describe('Grafana dashboard charts/engram/dashboards/engram.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const dir = tempDir();
  let stack: RunningStack;
  let apiTypes: Map<string, string>;
  let workerTypes: Map<string, string>;

  before(async () => {
    stack = await startApiAndWorker(dir, { apiKey: KEY });
    const { api, worker } = stack;
    // Some traffic, so the histograms hold samples as they would in production.
    const auth = { authorization: `Bearer ${KEY}` };
    assert.equal(
      (await call(api.url, 'POST', '/api/memories', { content: 'dashboards chart metrics' }, auth)).status,
      201,
    );
    assert.equal((await call(api.url, 'POST', '/api/search', { query: 'dashboards' }, auth)).status, 200);
    apiTypes = exportedTypes(await scrape(api.url));
    workerTypes = exportedTypes(await scrape(worker.url));
  });

  after(() => stack?.stop());

  it('finds the metric names in PromQL the way Prometheus reads them', () => {
    assert.deepEqual(
      metricNames(
        'histogram_quantile(0.95, sum by (le, mode) (rate(a_bucket{job=~"x|y",le!="+Inf"}[$__rate_interval])))',
      ),
      ['a_bucket'],
    );
    assert.deepEqual(metricNames('time() - max(b_seconds{job=~"$job"}) or on (job) c_total * 2'), [
      'b_seconds',
      'c_total',
    ]);
  });

  it("queries only metrics the running api and worker export, or that an open issue declares, or vLLM's own on vLLM panels", () => {
    const exported = new Map([...workerTypes, ...apiTypes]);
    const queries = dashboardQueries(dashboard);
    assert.ok(queries.length >= 20, `${queries.length} queries`);
    const vllmPanel = (expr: string) => expr.includes('$vllm_job') || expr.startsWith('vllm:');
    const missing = queries.flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((name) => !isExported(name, exported))
        .filter((name) => !(vllmPanel(expr) && VLLM_METRICS.includes(name)))
        .filter((name) => !PENDING_METRICS[name.replace(/_(bucket|sum|count)$/, '')])
        .map((name) => `${where}: ${name}`),
    );
    assert.deepEqual(missing, [], 'dashboard panels whose metric nobody exports');
  });

  it("has alert rules that select only metrics the running api and worker export, `up`, or vLLM's own", () => {
    const exported = new Map([...workerTypes, ...apiTypes]);
    const rules = parse(readFileSync(ALERT_RULES, 'utf8')).groups.flatMap((group: any) => group.rules);
    assert.ok(rules.length >= 15, `${rules.length} rules`);
    const unknown = rules.flatMap((rule: any) =>
      metricNames(rule.expr)
        .filter((name) => !isExported(name, exported) && !PROMETHEUS_SERIES.includes(name))
        .filter((name) => !VLLM_METRICS.includes(name))
        .map((name) => `${rule.alert}: ${name}`),
    );
    assert.deepEqual(unknown, [], 'alerts on metrics nobody exports');
  });

  it('keeps the list of not-yet-exported metrics honest', () => {
    const exported = new Map([...workerTypes, ...apiTypes]);
    const used = new Set(dashboardQueries(dashboard).flatMap(({ expr }) => metricNames(expr)));
    for (const [name, issue] of Object.entries(PENDING_METRICS)) {
      assert.ok(!exported.has(name), `${name} (${issue}) is exported now: remove it from PENDING_METRICS`);
      assert.ok(
        [...used].some((u) => u.startsWith(name)),
        `${name} is pending but no panel uses it`,
      );
    }
  });

  it('charts every engram_* metric the api and the worker export', () => {
    const used = new Set(
      dashboardQueries(dashboard)
        .flatMap(({ expr }) => metricNames(expr))
        .map((name) => name.replace(/_(bucket|sum|count)$/, '')),
    );
    const exported = [...new Set([...apiTypes.keys(), ...workerTypes.keys()])].filter((n) => n.startsWith('engram_'));
    assert.ok(exported.length >= 6, exported.join(', '));
    assert.deepEqual(
      exported.filter((name) => !used.has(name)),
      [],
      'exported metrics without a panel',
    );
    assert.ok(apiTypes.has('http_request_duration_seconds') && apiTypes.has('process_resident_memory_bytes'));
  });

  it('splits requests, p95 latency, 5xx and SSE clients per api replica, and jobs per worker, by instance', () => {
    // Prometheus adds `instance` to every scraped series (and `pod` under the operator): a panel split by
    // it draws one line per replica or worker.
    const perInstance = dashboard.panels
      .filter((panel: any) => panel.type !== 'row')
      .flatMap((panel: any) =>
        panel.targets.map((target: any) => ({ title: panel.title, expr: target.expr as string })),
      )
      .filter(({ expr }: { expr: string }) => /\bby \([^)]*\binstance\b[^)]*\)/.test(expr));
    const find = (what: string, exporter: Map<string, string>, test: (expr: string) => boolean) => {
      const found = perInstance.filter(({ expr }: { expr: string }) => test(expr));
      assert.ok(found.length > 0, `a panel of ${what} by instance`);
      for (const { title, expr } of found) {
        for (const name of metricNames(expr)) assert.ok(isExported(name, exporter), `${title}: ${name} exported`);
      }
    };
    const http = (expr: string) => expr.includes('http_request_duration_seconds');
    find('requests / s', apiTypes, (e) => http(e) && e.includes('_count') && !e.includes('status='));
    find('p95 latency', apiTypes, (e) => http(e) && e.startsWith('histogram_quantile(0.95,') && e.includes('_bucket'));
    find('5xx / s', apiTypes, (e) => http(e) && e.includes('status=~"5.."'));
    find('SSE clients', apiTypes, (e) => e.includes('engram_sse_clients{'));
    find('running jobs', workerTypes, (e) => e.includes('engram_jobs_running'));
    find('completed and failed jobs', workerTypes, (e) =>
      /engram_jobs_total\{[^}]*outcome=~"[^"]*completed[^"]*failed/.test(e),
    );
    assert.equal(workerTypes.get('engram_jobs_running'), 'gauge');
  });

  it('is a valid dashboard for the chart sidecar and compose provisioning alike', () => {
    assert.equal(dashboard.uid, 'engram-overview');
    const datasource = dashboard.templating.list.find((v: any) => v.type === 'datasource');
    assert.equal(datasource.query, 'prometheus');
    const ids = dashboard.panels.map((p: any) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, `${panel.title} fits the 24-column grid`);
      if (panel.type === 'row') continue;
      // A data source variable, never a uid of one Grafana installation.
      assert.equal(panel.datasource.uid, `\${${datasource.name}}`, panel.title);
      assert.ok(panel.targets.length > 0, `${panel.title} has a query`);
      for (const target of panel.targets) {
        const job = metricNames(target.expr).every((name) => name.startsWith('vllm:')) ? 'vllm_job' : 'job';
        for (const selector of target.expr.match(/\{[^}]*\}/g) ?? [])
          assert.ok(selector.includes(`job=~"$${job}"`), `${panel.title} filters every selector by $${job}`);
      }
    }
    const titles = dashboard.panels.map((p: any) => p.title.toLowerCase()).join(' | ');
    const topics = ['latency', 'search', 'embedding', 'mcp', 'sse', 'queue', 'backup', 'llm', 'memory', 'cpu'];
    for (const topic of [
      ...topics,
      'fallback',
      'vllm queue depth',
      'vllm running',
      'vllm kv-cache',
      'vllm generation',
    ]) {
      assert.ok(titles.includes(topic), `a panel about ${topic}`);
    }
  });
});
