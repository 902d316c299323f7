import { context, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENGRAM_VERSION } from '../common/version';
import { tracingActive } from './tracing';

interface RequestTrace {
  span: Span;
  /** The request's trace context, re-entered after body parsing (which resumes in the socket's context). */
  resource: AsyncResource;
}

const TRACE = Symbol('engram-request-trace');
type TracedRequest = FastifyRequest & { [TRACE]?: RequestTrace };

/**
 * One server span per HTTP request (a child of the caller's `traceparent` when it sends one), active for
 * every hook and handler after it, so MCP tool calls, searches, embeddings, statements and enqueued jobs
 * become its children. Register before the auth hook. Named by route pattern, never the raw URL.
 */
export function registerRequestTracing(fastify: FastifyInstance): void {
  if (!tracingActive()) return;
  const tracer = trace.getTracer('engram', ENGRAM_VERSION);
  fastify.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      request.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'engram.request_id': request.id } },
      parent,
    );
    context.with(trace.setSpan(parent, span), () => {
      const resource = new AsyncResource('engram-request-trace');
      (request as TracedRequest)[TRACE] = { span, resource };
      resource.runInAsyncScope(done);
    });
  });
  fastify.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const traced = (request as TracedRequest)[TRACE];
    if (traced) traced.resource.runInAsyncScope(done);
    else done();
  });
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const traced = (request as TracedRequest)[TRACE];
    if (traced) {
      const route = request.routeOptions.url ?? 'unmatched';
      traced.span.updateName(`${request.method} ${route}`);
      traced.span.setAttributes({ 'http.route': route, 'http.response.status_code': reply.statusCode });
      if (reply.statusCode >= 500) traced.span.setStatus({ code: SpanStatusCode.ERROR });
      traced.span.end();
      // The access log (the next onResponse hook) runs in the request's context, so it carries the ids.
      traced.resource.runInAsyncScope(done);
      return;
    }
    done();
  });
}
