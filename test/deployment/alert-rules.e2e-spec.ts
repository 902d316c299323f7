import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { ROOT, tempDir } from '../process-harness';
import { CHART_DIR, helm } from './manifests';

const COMPOSE_RULES = join(ROOT, 'services', 'prometheus', 'engram-alerts.yml');
const OPERATIONS = join(ROOT, 'docs', 'operations.md');

/** One synthetic series for `promtool test rules`: labels (job added) and its values, one per minute. */
type Series = [metric: string, labels: Record<string, string>, values: string];

interface AlertCase {
  alert: string;
  /** When promtool looks (after the rule's `for` and rate windows have filled). */
  at: string;
  /** Series that should fire the alert, and the labels it fires with (besides alertname). */
  fires: Series[];
  labels: Record<string, string>;
  /** Series that look similar but should leave it silent. */
  quiet: Series[];
}

const ENGRAM = { job: 'engram' };
const API = { ...ENGRAM, component: 'api', instance: 'api:8000' };
const VLLM = { job: 'vllm', component: 'vllm', instance: 'vllm:8000' };
const requests = (status: string, values: string, route = '/api/memories'): Series => [
  'http_request_duration_seconds_count',
  { ...API, method: 'POST', route, status },
  values,
];
const latency = (route: string, slowest: string): Series[] =>
  ['0.1', '1', '5', '10', '+Inf'].map((le) => [
    'http_request_duration_seconds_bucket',
    { ...API, method: 'POST', route, status: '200', le },
    Number(le) < Number(slowest) ? '0x30' : '0+10x30',
  ]);

/** Every alert, with a case that fires it and one that should not. */
const CASES: AlertCase[] = [
  {
    alert: 'EngramApiDown',
    at: '5m',
    fires: [['up', API, '0x10']],
    labels: { severity: 'critical', ...API },
    quiet: [['up', API, '1x10']],
  },
  {
    alert: 'EngramWorkerDown',
    at: '8m',
    fires: [['up', { ...ENGRAM, component: 'worker', instance: 'worker:8001' }, '0x10']],
    labels: { severity: 'warning', ...ENGRAM, component: 'worker', instance: 'worker:8001' },
    quiet: [['up', { ...ENGRAM, component: 'worker', instance: 'worker:8001' }, '1x4 0x2 1x4']],
  },
  {
    alert: 'EngramNotReady',
    at: '8m',
    fires: [['engram_ready', { ...API, check: 'disk' }, '1 0x10']],
    labels: { severity: 'critical', check: 'disk' },
    quiet: [['engram_ready', { ...API, check: 'disk' }, '1x10']],
  },
  {
    alert: 'EngramHighErrorRatio',
    at: '25m',
    fires: [requests('500', '0+10x30'), requests('201', '0+90x30')],
    labels: { severity: 'warning' },
    quiet: [requests('500', '0+1x30'), requests('201', '0+99x30')],
  },
  {
    alert: 'EngramHighLatency',
    at: '25m',
    fires: latency('/api/search', '10'),
    labels: { severity: 'warning' },
    // As slow, but on the event stream, which is open for as long as the client listens, on a harvest, which
    // waits for the model to read a whole transcript, and on an export, which streams the whole store.
    quiet: [
      ...latency('/api/events/stream', '10'),
      ...latency('/api/harvest', '10'),
      ...latency('/api/export', '10'),
      ...latency('/api/search', '0.1'),
    ],
  },
  {
    alert: 'EngramSseClientsDropped',
    at: '20m',
    fires: [['engram_sse_clients_dropped_total', API, '0+1x30']],
    labels: { severity: 'warning' },
    quiet: [['engram_sse_clients_dropped_total', API, '0x20 1x10']],
  },
  {
    alert: 'EngramAuthFailures',
    at: '25m',
    fires: [requests('401', '0+120x30', '/api/search')],
    labels: { severity: 'warning' },
    quiet: [requests('401', '0+30x30', '/api/search'), requests('200', '0+600x30', '/api/search')],
  },
  {
    alert: 'EngramQueueBacklog',
    at: '40m',
    fires: [['engram_queue_jobs', { ...API, queue: 'engram', state: 'waiting' }, '0+5x60']],
    labels: { severity: 'warning', queue: 'engram' },
    // A large backlog that drains is not an alert.
    quiet: [['engram_queue_jobs', { ...API, queue: 'engram', state: 'waiting' }, '300-5x60']],
  },
  {
    alert: 'EngramJobsFailing',
    at: '15m',
    fires: [['engram_jobs_total', { ...API, queue: 'engram', name: 'backup', outcome: 'failed' }, '0x10 1x20']],
    labels: { severity: 'warning', name: 'backup' },
    // Jobs its api stopped under (a deploy's restart) are interrupted, not failed: EngramJobsInterrupted's.
    quiet: [
      ['engram_jobs_total', { ...API, queue: 'engram', name: 'backup', outcome: 'completed' }, '0+1x30'],
      ['engram_jobs_total', { ...API, queue: 'engram', name: 'import', outcome: 'interrupted' }, '0x10 2x20'],
    ],
  },
  {
    alert: 'EngramJobsInterrupted',
    at: '50m',
    // An interruption every five minutes: the apis keep stopping (a crash loop, OOM kills).
    fires: [
      ['engram_jobs_total', { ...API, queue: 'engram', name: 'import', outcome: 'interrupted' }, '0+0.2x60'],
      ['engram_jobs_total', { ...API, queue: 'engram', name: 'backup', outcome: 'interrupted' }, '0+0.1x60'],
    ],
    labels: { severity: 'warning' },
    // One deploy's worth (three jobs caught by a rolling restart), and failures, which are EngramJobsFailing's.
    quiet: [
      ['engram_jobs_total', { ...API, queue: 'engram', name: 'import', outcome: 'interrupted' }, '0x20 3x40'],
      ['engram_jobs_total', { ...API, queue: 'engram', name: 'import', outcome: 'failed' }, '0+1x60'],
    ],
  },
  {
    alert: 'EngramBackupTooOld',
    at: '27h',
    fires: [['engram_last_backup_timestamp_seconds', API, '0x1700']],
    labels: { severity: 'warning' },
    // The newest backup was taken at 24 h: three hours old when promtool looks.
    quiet: [['engram_last_backup_timestamp_seconds', API, '86400x1700']],
  },
  {
    alert: 'EngramNoBackup',
    at: '27h',
    fires: [['engram_ready', { ...API, check: 'database' }, '1x1700']],
    labels: { severity: 'warning', job: 'engram' },
    quiet: [['engram_last_backup_timestamp_seconds', API, '0x1700']],
  },
  {
    alert: 'EngramDiskNearlyFull',
    at: '15m',
    fires: [
      ['engram_disk_free_bytes', API, '5x30'],
      ['engram_disk_size_bytes', API, '100x30'],
    ],
    labels: { severity: 'critical' },
    quiet: [
      ['engram_disk_free_bytes', API, '50x30'],
      ['engram_disk_size_bytes', API, '100x30'],
    ],
  },
  {
    alert: 'EngramDatabaseBusy',
    at: '15m',
    fires: [['engram_database_busy_total', { ...API, surface: 'http' }, '0+2x30']],
    labels: { severity: 'warning' },
    quiet: [['engram_database_busy_total', { ...API, surface: 'http' }, '0+0.5x30']],
  },
  {
    alert: 'EngramEmbeddingErrors',
    at: '25m',
    fires: [
      ['engram_embedding_errors_total', { ...API, provider: 'openai' }, '0+5x30'],
      ['engram_embedding_duration_seconds_count', { ...API, provider: 'openai' }, '0+10x30'],
    ],
    labels: { severity: 'critical', provider: 'openai' },
    quiet: [
      ['engram_embedding_errors_total', { ...API, provider: 'openai' }, '0x30'],
      ['engram_embedding_duration_seconds_count', { ...API, provider: 'openai' }, '0+10x30'],
    ],
  },
  {
    alert: 'EngramModelErrors',
    at: '25m',
    fires: [
      ['engram_llm_request_duration_seconds_count', { ...API, provider: 'vllm', outcome: 'error' }, '0+5x30'],
      ['engram_llm_request_duration_seconds_count', { ...API, provider: 'vllm', outcome: 'ok' }, '0+5x30'],
    ],
    labels: { severity: 'warning' },
    quiet: [
      ['engram_llm_request_duration_seconds_count', { ...API, provider: 'vllm', outcome: 'error' }, '0+1x30'],
      ['engram_llm_request_duration_seconds_count', { ...API, provider: 'vllm', outcome: 'ok' }, '0+9x30'],
    ],
  },
  {
    alert: 'EngramAgentRunsFailing',
    at: '50m',
    fires: [
      ['engram_agent_runs_total', { ...API, outcome: 'model_error' }, '0+5x60'],
      ['engram_agent_runs_total', { ...API, outcome: 'replied' }, '0+5x60'],
    ],
    labels: { severity: 'warning' },
    quiet: [['engram_agent_runs_total', { ...API, outcome: 'replied' }, '0+5x60']],
  },
  {
    alert: 'EngramAgentBudgetExhausted',
    at: '50m',
    fires: [
      ['engram_agent_runs_total', { ...API, outcome: 'budget_exhausted' }, '0+5x60'],
      ['engram_agent_runs_total', { ...API, outcome: 'replied' }, '0+5x60'],
    ],
    labels: { severity: 'warning' },
    quiet: [
      ['engram_agent_runs_total', { ...API, outcome: 'deadline' }, '0+1x60'],
      ['engram_agent_runs_total', { ...API, outcome: 'replied' }, '0+9x60'],
    ],
  },
  {
    alert: 'EngramSandboxViolations',
    at: '20m',
    fires: [['engram_sandbox_violations_total', { ...API, kind: 'denied' }, '0+1x30']],
    labels: { severity: 'warning', kind: 'denied' },
    quiet: [['engram_sandbox_violations_total', { ...API, kind: 'timeout' }, '0x20 2x10']],
  },
  {
    alert: 'VllmDown',
    at: '10m',
    fires: [['up', VLLM, '0x15']],
    labels: { severity: 'warning', ...VLLM },
    quiet: [['up', VLLM, '1x15']],
  },
  {
    alert: 'VllmQueueDepthHigh',
    at: '20m',
    fires: [['vllm:num_requests_waiting', { ...VLLM, model_name: 'driaforall/mem-agent' }, '20x30']],
    labels: { severity: 'warning', instance: 'vllm:8000' },
    quiet: [['vllm:num_requests_waiting', { ...VLLM, model_name: 'driaforall/mem-agent' }, '2x30']],
  },
  {
    alert: 'VllmKvCacheFull',
    at: '20m',
    fires: [['vllm:kv_cache_usage_perc', { ...VLLM, model_name: 'driaforall/mem-agent', engine: '0' }, '0.95x30']],
    labels: { severity: 'warning', instance: 'vllm:8000' },
    quiet: [['vllm:kv_cache_usage_perc', { ...VLLM, model_name: 'driaforall/mem-agent', engine: '0' }, '0.5x30']],
  },
  {
    // vLLM before the V1 engine's rename exports the same gauge as vllm:gpu_cache_usage_perc.
    alert: 'VllmKvCacheFull',
    at: '20m',
    fires: [['vllm:gpu_cache_usage_perc', { ...VLLM, model_name: 'driaforall/mem-agent' }, '0.95x30']],
    labels: { severity: 'warning', instance: 'vllm:8000' },
    quiet: [['vllm:gpu_cache_usage_perc', { ...VLLM, model_name: 'driaforall/mem-agent' }, '0.5x30']],
  },
];

function seriesText([metric, labels, values]: Series) {
  const matchers = Object.entries(labels).map(([name, value]) => `${name}="${value}"`);
  return { series: `${metric}{${matchers.join(',')}}`, values };
}

/** A `promtool test rules` file: per case one test that fires the alert and one that must stay silent. */
function promtoolTests(rulesFile: string, cases: AlertCase[]): string {
  const tests = cases.flatMap((c) => [
    {
      interval: '1m',
      input_series: c.fires.map(seriesText),
      alert_rule_test: [{ eval_time: c.at, alertname: c.alert, exp_alerts: [{ exp_labels: c.labels }] }],
    },
    {
      interval: '1m',
      input_series: c.quiet.map(seriesText),
      alert_rule_test: [{ eval_time: c.at, alertname: c.alert, exp_alerts: [] }],
    },
  ]);
  return stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests });
}

function promtool(args: string[]) {
  const result = spawnSync('promtool', args, { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`promtool is not installed (Debian package prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function alertsOf(groups: any[]): any[] {
  return groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
}

/** The chart's PrometheusRule groups rendered with `values` (strings, as --set-string takes them). */
function chartGroups(values: Record<string, string>): any[] {
  // Numbers and booleans as JSON (helm's --set keeps 0.2 a string); the PromQL selectors as plain strings.
  const set = Object.entries({ 'metrics.prometheusRule.enabled': 'true', ...values }).flatMap(([key, value]) => [
    /selector$/i.test(key) ? '--set-string' : '--set-json',
    `${key}=${value}`,
  ]);
  const result = helm(['template', 'engram', CHART_DIR, '--show-only', 'templates/prometheusrule.yaml', ...set]);
  assert.equal(result.status, 0, result.stderr);
  return parse(result.stdout).spec.groups;
}

/**
 * The rules without annotations, for `promtool test rules`, which would otherwise compare every rendered
 * description too (`promtool check rules` validates their templates; the runbook test reads them).
 */
function withoutAnnotations(groups: any[]): any[] {
  return groups.map((group) => ({
    ...group,
    rules: group.rules.map(({ annotations: _annotations, ...rule }: any) => rule),
  }));
}

function writeRules(groups: any[]): string {
  const file = join(tempDir('engram-rules-'), 'rules.yml');
  writeFileSync(file, stringify({ groups }));
  return file;
}

const COMPOSE_SELECTORS = {
  'metrics.prometheusRule.selector': 'job="engram"',
  'metrics.prometheusRule.vllmSelector': 'job="vllm"',
};

describe('alert rules (chart PrometheusRule and the Compose rules file)', () => {
  const composeGroups = parse(readFileSync(COMPOSE_RULES, 'utf8')).groups;

  it('pass `promtool check rules`', () => {
    const { status, output } = promtool(['check', 'rules', COMPOSE_RULES]);
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS: \d+ rules found/);
  });

  it('fire on a series that should fire each alert and stay silent on one that should not (`promtool test rules`)', () => {
    const testFile = join(tempDir('engram-rule-tests-'), 'tests.yml');
    writeFileSync(testFile, promtoolTests(writeRules(withoutAnnotations(composeGroups)), CASES));
    const { status, output } = promtool(['test', 'rules', testFile]);
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS/);
  });

  it('has a firing and a silent case for every alert, and no case for an alert that does not exist', () => {
    const alerts = alertsOf(composeGroups).map((rule) => rule.alert);
    assert.deepEqual([...new Set(CASES.map((c) => c.alert))].sort(), [...alerts].sort());
  });

  it('are caught failing by the same test when an alert stays silent where it should fire', () => {
    const broken = withoutAnnotations(composeGroups);
    const rule = alertsOf(broken).find((r) => r.alert === 'EngramDiskNearlyFull');
    rule.expr = rule.expr.replace('< 0.1', '< 0.01');
    const rulesFile = writeRules(broken);
    const testFile = join(tempDir('engram-rule-tests-'), 'tests.yml');
    writeFileSync(
      testFile,
      promtoolTests(
        rulesFile,
        CASES.filter((c) => c.alert === 'EngramDiskNearlyFull'),
      ),
    );
    const { status, output } = promtool(['test', 'rules', testFile]);
    assert.notEqual(status, 0, 'promtool must report the missing alert');
    assert.match(output, /EngramDiskNearlyFull/);
  });

  it('come from the chart: the Compose file is the PrometheusRule rendered with the default thresholds', () => {
    assert.deepEqual(
      composeGroups,
      chartGroups(COMPOSE_SELECTORS),
      'run `npm run alerts:render` after editing the rules',
    );
  });

  it('take their thresholds and selectors from the chart values', () => {
    const groups = chartGroups({
      'metrics.prometheusRule.thresholds.errorRatio': '0.2',
      'metrics.prometheusRule.thresholds.diskFreeRatio': '0.25',
      'metrics.prometheusRule.thresholds.backupMaxAgeHours': '170',
      'metrics.prometheusRule.thresholds.jobsInterruptedPerHour': '20',
    });
    const expr = (alert: string) => alertsOf(groups).find((rule) => rule.alert === alert).expr;
    assert.match(expr('EngramHighErrorRatio'), /> 0\.2$/);
    assert.match(expr('EngramDiskNearlyFull'), /< 0\.25$/);
    assert.match(expr('EngramBackupTooOld'), /> 612000$/);
    assert.match(expr('EngramJobsInterrupted'), /\[1h\]\)\) > 20$/);
    assert.match(expr('EngramApiDown'), /up\{job="engram",namespace="default",component="api"\}/);
    assert.match(expr('VllmDown'), /up\{job="engram-vllm",namespace="default"\}/);
    const { status, output } = promtool(['check', 'rules', writeRules(groups)]);
    assert.equal(status, 0, output);
    const withoutBackups = chartGroups({ 'metrics.prometheusRule.thresholds.backupMaxAgeHours': '0' });
    assert.ok(!alertsOf(withoutBackups).some((rule) => /Backup/.test(rule.alert)), 'backups on demand only: no alert');
  });

  it('link each alert to its runbook section in docs/operations.md', () => {
    const headings = [...readFileSync(OPERATIONS, 'utf8').matchAll(/^#{3,4} (\w+)$/gm)].map((m) => m[1]);
    for (const rule of alertsOf(composeGroups)) {
      assert.ok(headings.includes(rule.alert), `docs/operations.md has a "### ${rule.alert}" runbook`);
      assert.equal(rule.annotations.runbook_url, `docs/operations.md#${rule.alert.toLowerCase()}`);
      assert.ok(rule.labels.severity === 'critical' || rule.labels.severity === 'warning', rule.alert);
      assert.ok(rule.annotations.summary && rule.annotations.description, rule.alert);
    }
  });
});
