import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningEngram, RunningStack, serviceHelper, startApiAndWorker, startEngram } from './engram-cli';
import { call, freePort, tempDir } from './process-harness';

const { startOtlpReceiver } = serviceHelper('testing/otlp-receiver.js');
const { connectHttpClient, callTool } = serviceHelper('testing/mcp-client.js');

const KEY = 'tracing-test-key-0123456789';
const AUTH = { authorization: `Bearer ${KEY}` };
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

/** A W3C traceparent as a caller that traces its own work would send it. */
function callerContext() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const inTrace = (spans: Span[], traceId: string) => spans.filter((span) => span.traceId === traceId);
const childrenOf = (spans: Span[], parent: Span) => spans.filter((span) => span.parentSpanId === parent.spanId);
const named = (spans: Span[], name: string) => spans.find((span) => span.name === name);

/** JSON log lines of a process, parsed; a line still being written (no newline yet) is left out. */
function logLines(output: string): Record<string, any>[] {
  return output
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

describe('OpenTelemetry traces across the api, the queue and the worker', () => {
  const dir = tempDir();
  let receiver: any;
  let stack: RunningStack;
  let api: RunningEngram;

  before(async () => {
    receiver = await startOtlpReceiver();
    stack = await startApiAndWorker(dir, {
      apiKey: KEY,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=secret%20token',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
        // Read by the SDK's batch processor: export within 100 ms instead of 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    api = stack.api;
  });

  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('follows a backup from the caller through the api and the queue into the worker, as one trace', async () => {
    const caller = callerContext();
    const queued = await call(api.url, 'POST', '/api/admin/backup', undefined, {
      ...AUTH,
      traceparent: caller.traceparent,
    });
    assert.equal(queued.status, 202);
    const spans: Span[] = await receiver.waitFor((all: Span[]) =>
      inTrace(all, caller.traceId).some((span) => span.name === 'job backup'),
    );
    const trace = inTrace(spans, caller.traceId);
    const request = named(trace, 'POST /api/admin/backup')!;
    assert.equal(request.parentSpanId, caller.spanId, "the api's span continues the caller's trace");
    assert.equal(request.kind, SERVER);
    assert.equal(request.attributes['http.response.status_code'], 202);
    assert.equal(request.resource['engram.role'], 'api');
    assert.equal(request.resource['deployment.environment'], 'test');

    const enqueue = named(childrenOf(trace, request), 'enqueue backup')!;
    assert.ok(enqueue, 'enqueueing is a child of the request');
    assert.equal(enqueue.kind, PRODUCER);
    const job = named(childrenOf(trace, enqueue), 'job backup')!;
    assert.ok(job, 'the worker processes the job as a child of the enqueue span');
    assert.equal(job.kind, CONSUMER);
    assert.equal(job.resource['engram.role'], 'worker', 'in the worker process');
    assert.equal(job.attributes['engram.job.id'], queued.body.job_id);
  });

  it('puts the embedding call and the summarised statements of a store under its request', async () => {
    const caller = callerContext();
    const content = 'traced memory about lighthouse keepers';
    const stored = await call(
      api.url,
      'POST',
      '/api/memories',
      { content },
      { ...AUTH, traceparent: caller.traceparent },
    );
    assert.equal(stored.status, 201);
    const spans: Span[] = await receiver.waitFor((all: Span[]) =>
      inTrace(all, caller.traceId).some((span) => span.name === 'POST /api/memories'),
    );
    const trace = inTrace(spans, caller.traceId);
    const request = named(trace, 'POST /api/memories')!;
    const embedding = named(childrenOf(trace, request), 'embedding')!;
    assert.equal(embedding.kind, CLIENT);
    assert.equal(embedding.attributes['engram.embedding.provider'], 'openai');
    const insert = childrenOf(trace, request).find((span) => /^db INSERT memories$/.test(span.name));
    assert.ok(insert, `an INSERT span: ${childrenOf(trace, request).map((s) => s.name)}`);
    for (const statement of trace.filter((span) => span.name.startsWith('db '))) {
      assert.equal(statement.attributes['db.system.name'], 'sqlite');
      assert.match(statement.name, /^db [A-Z]+( \w+)?$/, 'a summary, never SQL text');
    }
    const everything = JSON.stringify(trace);
    assert.ok(!everything.includes('lighthouse'), 'no memory content in any span');
    assert.ok(!everything.includes(KEY), 'no credential in any span');
  });

  it('shows the search legs (vector, keyword, fusion) of a hybrid search', async () => {
    const caller = callerContext();
    const found = await call(
      api.url,
      'POST',
      '/api/search',
      { query: 'lighthouse keepers', mode: 'hybrid' },
      { ...AUTH, traceparent: caller.traceparent },
    );
    assert.equal(found.status, 200);
    const spans: Span[] = await receiver.waitFor((all: Span[]) =>
      inTrace(all, caller.traceId).some((span) => span.name === 'POST /api/search'),
    );
    const trace = inTrace(spans, caller.traceId);
    const request = named(trace, 'POST /api/search')!;
    const legs = childrenOf(trace, request).map((span) => span.name);
    for (const leg of ['embedding', 'search.vector', 'search.keyword', 'search.fusion']) {
      assert.ok(legs.includes(leg), `${leg} under the request: ${legs}`);
    }
    const vector = named(trace, 'search.vector')!;
    assert.ok(
      childrenOf(trace, vector).some((span) => span.name.startsWith('db ')),
      'its statements under the leg',
    );
  });

  it('records each MCP tool call under the POST /mcp request', async () => {
    const { client } = await connectHttpClient(api.url, KEY);
    try {
      const result = await callTool(client, 'memory_search', { query: 'lighthouse' });
      assert.equal(result.isError, undefined);
    } finally {
      await client.close();
    }
    const spans: Span[] = await receiver.waitFor((all: Span[]) =>
      all.some((span) => span.name === 'mcp.tool memory_search'),
    );
    const tool = named(spans, 'mcp.tool memory_search')!;
    const parent = spans.find((span) => span.spanId === tool.parentSpanId)!;
    assert.equal(parent.name, 'POST /mcp');
    assert.equal(tool.attributes['mcp.tool.name'], 'memory_search');
    assert.ok(
      childrenOf(spans, tool).some((span) => span.name === 'search.vector'),
      'the search under the tool',
    );
  });

  it('writes the trace and span ids into the log lines of a traced request', async () => {
    const caller = callerContext();
    await call(api.url, 'GET', '/api/memories', undefined, { ...AUTH, traceparent: caller.traceparent });
    const spans: Span[] = await receiver.waitFor((all: Span[]) =>
      inTrace(all, caller.traceId).some((span) => span.name === 'GET /api/memories'),
    );
    const request = named(inTrace(spans, caller.traceId), 'GET /api/memories')!;
    const tracedRequest = (entry: Record<string, any>) =>
      entry.message?.msg === 'request' && entry.trace_id === caller.traceId;
    const output = await api.waitForOutput((text) => logLines(text).some(tracedRequest));
    const line = logLines(output).find(tracedRequest);
    assert.ok(line, 'the access log line carries the trace id');
    assert.equal(line.span_id, request.spanId);
    assert.equal(line.message.route, '/api/memories');
  });

  it('sends the configured exporter headers with every export', () => {
    assert.ok(receiver.requestHeaders.length > 0);
    for (const headers of receiver.requestHeaders) assert.equal(headers['x-collector-token'], 'secret token');
  });

  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT: no trace ids in the logs', async () => {
    const plain = await startEngram(
      'serve',
      { MCP_API_KEY: KEY, MCP_MEMORY_SQLITE_PATH: join(dir, 'plain.db'), MCP_HTTP_PORT: String(await freePort()) },
      dir,
      'Engram ready',
    );
    try {
      const caller = callerContext();
      await call(plain.url, 'GET', '/api/memories', undefined, { ...AUTH, traceparent: caller.traceparent });
      await call(plain.url, 'GET', '/health/live');
      const isRequest = (entry: Record<string, any>) => entry.message?.msg === 'request';
      // Both requests' access lines, so every line this check reads is complete.
      const output = await plain.waitForOutput((text) => logLines(text).filter(isRequest).length >= 2);
      const lines = logLines(output);
      assert.ok(lines.every((entry) => entry.trace_id === undefined));
      assert.ok(!receiver.spans.some((span: Span) => span.traceId === caller.traceId), 'and exports nothing');
    } finally {
      await plain.stop();
    }
  });
});
