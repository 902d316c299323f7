import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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
    help: 'Jobs run to an end, by queue, job name and outcome (completed, failed, cancelled)',
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
    help: 'MCP tool calls by tool and outcome (ok, rejected: the input or the request was refused, error)',
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

  readonly mcpSessions = new Gauge({
    name: 'engram_mcp_sessions',
    help: 'Open MCP Streamable HTTP sessions',
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

  private readonly scrapeHooks: (() => void | Promise<void>)[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Registers a refresh of state-derived gauges (counts, sizes), run before each scrape. */
  onScrape(refresh: () => void | Promise<void>): void {
    this.scrapeHooks.push(refresh);
  }

  /** The exposition text, after refreshing state-derived gauges. */
  async scrape(): Promise<string> {
    await Promise.all(this.scrapeHooks.map((refresh) => refresh()));
    return this.registry.metrics();
  }
}
