import {
  Attributes,
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { ENGRAM_VERSION } from '../common/version';
import { tracingActive } from './tracing';

export { SpanKind };
export type { Span };

/** Handed to the callback while tracing is off: accepts attributes and records nothing. */
const NOT_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

function tracer() {
  return trace.getTracer('engram', ENGRAM_VERSION);
}

function fail(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Runs `fn` inside a new span, a child of the active one, and ends the span when `fn` settles (an error
 * marks it failed). The one-line wrapper the instrumented code uses; free while tracing is off.
 */
export async function traced<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  if (!tracingActive()) return fn(NOT_RECORDING);
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** `traced` for synchronous work (SQLite statements, search legs). */
export function tracedSync<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  if (!tracingActive()) return fn(NOT_RECORDING);
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (error) {
      fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The W3C trace context a job carries from the process that queued it to the one that runs it. */
export type TraceCarrier = Record<string, string>;

/** Adds the active trace context to job data as `trace_context` (unchanged while tracing is off). */
export function withTraceContext<T extends object>(data: T): T {
  if (!tracingActive()) return data;
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length === 0 ? data : { ...data, trace_context: carrier };
}

/**
 * Runs a queued job in a consumer span whose parent is the context the job carries (the producer span
 * in the api), or the active context when it carries none (scheduled jobs, the in-process queue).
 */
export function tracedJob<T>(job: { id: string; name: string; data: unknown }, fn: () => Promise<T>): Promise<T> {
  const carrier = (job.data as { trace_context?: TraceCarrier } | undefined)?.trace_context;
  const parent = carrier && tracingActive() ? propagation.extract(ROOT_CONTEXT, carrier) : context.active();
  const attributes = { 'messaging.operation.type': 'process', 'engram.job.id': job.id, 'engram.job.name': job.name };
  return context.with(parent, () => traced(`job ${job.name}`, attributes, fn, SpanKind.CONSUMER));
}

/** The trace and span ids of the active span, for log lines; undefined outside a recorded span. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || span.traceId === INVALID_SPAN_CONTEXT.traceId) return undefined;
  return { trace_id: span.traceId, span_id: span.spanId };
}
