import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * How a job ends in engram_jobs_total. `failed` is a job whose own work failed (or whose worker died each
 * time it ran it); `interrupted` one its api stopped or died under (a restart, a kill), ended by the api
 * that took its jobs over, which a routine deploy causes and EngramJobsFailing must not page for;
 * `released` a running job handed back at shutdown by the process stopping.
 */
export const JOB_OUTCOMES = ['completed', 'failed', 'cancelled', 'released', 'interrupted'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/**
 * Every metric Engram exports, declared in this one place. Label values are bounded: route patterns,
 * methods, status codes, search modes, provider names; never ids or query text.
 */
@Injectable()
export class EngramMetrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly memories = new Gauge({
    name: 'engram_memories',
    help: 'Live (not deleted) memories stored',
    registers: [this.registry],
  });

  readonly searchDuration = new Histogram({
    name: 'engram_search_duration_seconds',
    help: 'Search duration by mode, embedding included',
    labelNames: ['mode'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly rerankDuration = new Histogram({
    name: 'engram_rerank_duration_seconds',
    help: 'Duration of one call to the reranker, by outcome (ok, timeout, error)',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly rerankFallbacks = new Counter({
    name: 'engram_rerank_fallbacks_total',
    help: 'Searches answered in first-stage order because the reranker timed out or failed, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly conflictJudgeDuration = new Histogram({
    name: 'engram_conflict_judge_duration_seconds',
    help: 'Duration of one judgement of a proposed contradiction by the LLM judge, slot wait included, by outcome (ok, unavailable)',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
    registers: [this.registry],
  });

  readonly conflictJudgeVerdicts = new Counter({
    name: 'engram_conflict_judge_verdicts_total',
    help: 'Verdicts of the LLM judge on proposed contradictions (contradiction, update, compatible, unrelated, unavailable)',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });

  readonly conflictJudgeWaiting = new Gauge({
    name: 'engram_conflict_judge_waiting',
    help: 'Judgements in this process waiting for a slot of the LLM judge to come free (not while one is asked for), all namespaces together',
    registers: [this.registry],
  });

  readonly conflictJudgeGaveWay = new Counter({
    name: 'engram_conflict_judge_gave_way_total',
    help: 'Judgements that gave up their wait for the LLM judge because a newer one of the same namespace came while ENGRAM_CONFLICTS_JUDGE_MAX_WAITING_PER_NAMESPACE waited (their proposals stand unjudged)',
    registers: [this.registry],
  });

  readonly embeddingDuration = new Histogram({
    name: 'engram_embedding_duration_seconds',
    help: 'Duration of one embedding call (one batch of texts) by provider',
    labelNames: ['provider'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly embeddedTexts = new Counter({
    name: 'engram_embedded_texts_total',
    help: 'Texts embedded, by provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly dbSize = new Gauge({
    name: 'engram_db_size_bytes',
    help: 'Size of the SQLite database file plus its write-ahead log',
    registers: [this.registry],
  });

  readonly jobs = new Counter({
    name: 'engram_jobs_total',
    help: `Jobs run to an end or ended after the process holding them stopped or died, by queue, job name and outcome (${JOB_OUTCOMES.join(', ')})`,
    labelNames: ['queue', 'name', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'engram_job_duration_seconds',
    help: 'Duration of one job run, by job name',
    labelNames: ['name'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });

  readonly jobsRunning = new Gauge({
    name: 'engram_jobs_running',
    help: 'Jobs this process is running now, by queue and job name (per worker: its share of the queue)',
    labelNames: ['queue', 'name'] as const,
    registers: [this.registry],
  });

  readonly queueJobs = new Gauge({
    name: 'engram_queue_jobs',
    help: 'Jobs in a queue by state (waiting, active, delayed, completed, failed, cancelled)',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  readonly lastBackupTimestamp = new Gauge({
    name: 'engram_last_backup_timestamp_seconds',
    help: 'Creation time of the newest verified backup (Unix seconds; absent before the first backup)',
    registers: [this.registry],
  });

  readonly mcpToolCalls = new Counter({
    name: 'engram_mcp_tool_calls_total',
    help: 'MCP tool calls by tool and outcome (ok, rejected: the input or the request was refused, cancelled by the client, error)',
    labelNames: ['tool', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly mcpToolDuration = new Histogram({
    name: 'engram_mcp_tool_duration_seconds',
    help: 'MCP tool call duration by tool',
    labelNames: ['tool'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly mcpRequests = new Counter({
    name: 'engram_mcp_requests_total',
    help: 'JSON-RPC messages posted to /mcp by protocol era (legacy: 2025-11-25 and earlier; modern: 2026-07-28)',
    labelNames: ['era'] as const,
    registers: [this.registry],
  });

  readonly mcpListenStreams = new Gauge({
    name: 'engram_mcp_listen_streams',
    help: 'Open MCP subscriptions/listen streams (resource-update notifications for 2026-07-28 clients)',
    registers: [this.registry],
  });

  readonly sseClients = new Gauge({
    name: 'engram_sse_clients',
    help: 'Open Server-Sent Events streams (/api/events/stream)',
    registers: [this.registry],
  });

  readonly eventsPublished = new Counter({
    name: 'engram_events_total',
    help: 'Events published by this process (memory changes, jobs), by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly eventsDropped = new Counter({
    name: 'engram_events_dropped_total',
    help: 'Events this process dropped unpublished: more sends waited for Redis or PostgreSQL than the event relay keeps (their streams are told)',
    registers: [this.registry],
  });

  readonly llmRequestDuration = new Histogram({
    name: 'engram_llm_request_duration_seconds',
    help: 'Duration of one chat-completions request to the memory agent model, by provider and outcome (ok, error)',
    labelNames: ['provider', 'outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly llmTokens = new Counter({
    name: 'engram_llm_tokens_total',
    help: 'Tokens the memory agent model read (prompt) and wrote (completion), as the endpoint reported them',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  readonly llmAnswers = new Counter({
    name: 'engram_llm_answers_total',
    help: 'Chat-completions requests answered, by the endpoint that answered (primary, fallback)',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });

  readonly llmPrimaryCircuitOpen = new Gauge({
    name: 'engram_llm_primary_circuit_open',
    help: 'Whether this process sends model calls straight to the fallback (1) because the primary kept failing',
    registers: [this.registry],
  });

  readonly llmFallbacks = new Counter({
    name: 'engram_llm_fallbacks_total',
    help: 'Model calls sent to the fallback endpoint, by what the primary did (server_error, timeout, unreachable) or circuit_open (the primary failed three calls in a row: skipped for 30 s)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly agentTurns = new Histogram({
    name: 'engram_agent_turns',
    help: 'Model calls one memory agent question took',
    buckets: [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 21],
    registers: [this.registry],
  });

  readonly agentRuns = new Counter({
    name: 'engram_agent_runs_total',
    help: 'Memory agent questions by outcome (replied, budget_exhausted, deadline, model_error, cancelled, interrupted, error)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly sandboxDuration = new Histogram({
    name: 'engram_sandbox_duration_seconds',
    help: 'Duration of one sandboxed run of model-written code (start to result), by isolation mode',
    labelNames: ['mode'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
    registers: [this.registry],
  });

  readonly sandboxViolations = new Counter({
    name: 'engram_sandbox_violations_total',
    help: 'Sandboxed runs stopped or refused by a limit (timeout, memory, denied, import, path, limit, channel, crash)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  // What the alert rules watch (charts/engram/templates/_alert-rules.tpl, docs/operations.md).

  readonly ready = new Gauge({
    name: 'engram_ready',
    help: 'Readiness checks of the api at the last scrape, by check (database, disk, embedder): 1 passing, 0 failing',
    labelNames: ['check'] as const,
    registers: [this.registry],
  });

  readonly diskFree = new Gauge({
    name: 'engram_disk_free_bytes',
    help: 'Free bytes (for an unprivileged process) on the volume holding the database',
    registers: [this.registry],
  });

  readonly diskSize = new Gauge({
    name: 'engram_disk_size_bytes',
    help: 'Size in bytes of the volume holding the database',
    registers: [this.registry],
  });

  readonly sseClientsDropped = new Counter({
    name: 'engram_sse_clients_dropped_total',
    help: 'Event streams closed by the server because the client left too much unread (ENGRAM_SSE_CLIENT_BUFFER_BYTES)',
    registers: [this.registry],
  });

  readonly databaseBusy = new Counter({
    name: 'engram_database_busy_total',
    help: 'Requests and MCP tool calls answered 503 database_busy (SQLite busy timeout), by surface (http, mcp)',
    labelNames: ['surface'] as const,
    registers: [this.registry],
  });

  readonly embeddingErrors = new Counter({
    name: 'engram_embedding_errors_total',
    help: 'Embedding calls that failed (endpoint down, timeout, bad answer), by provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  private readonly scrapeHooks: (() => void | Promise<void>)[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Registers a refresh of state-derived gauges (counts, sizes), run before each scrape. */
  /** A database server's disk is not this process's to see: its gauges are left out, not reported as 0. */
  withoutDiskGauges(): void {
    this.registry.removeSingleMetric('engram_disk_free_bytes');
    this.registry.removeSingleMetric('engram_disk_size_bytes');
  }

  onScrape(refresh: () => void | Promise<void>): void {
    this.scrapeHooks.push(refresh);
  }

  /** The exposition text, after refreshing state-derived gauges. */
  async scrape(): Promise<string> {
    await Promise.all(this.scrapeHooks.map((refresh) => refresh()));
    return this.registry.metrics();
  }
}
