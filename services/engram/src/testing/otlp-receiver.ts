import { createServer, IncomingMessage } from 'node:http';
import { listenOnLoopback } from './loopback-server';

/** One received span, flattened from an OTLP/HTTP JSON export. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** Resource attributes of the process that sent it (service.name, engram.role, …). */
  resource: Record<string, string | number | boolean>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
}

export interface OtlpReceiver {
  /** The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Headers of the export requests, to check OTEL_EXPORTER_OTLP_HEADERS. */
  requestHeaders: Record<string, string | string[] | undefined>[];
  /** Resolves with the spans once `predicate` holds for them (polling what has arrived). */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

function valueOf(value: OtlpValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue ?? '';
}

function attributesOf(list: { key: string; value: OtlpValue }[] = []) {
  return Object.fromEntries(list.map(({ key, value }) => [key, valueOf(value)]));
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A real OTLP/HTTP traces endpoint on loopback (what an OpenTelemetry Collector or Jaeger offers on
 * port 4318), decoding the JSON encoding of ExportTraceServiceRequest that Engram's exporter sends.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requestHeaders: OtlpReceiver['requestHeaders'] = [];
  const server = createServer((request, response) => {
    void bodyOf(request).then((text) => {
      if (
        request.method !== 'POST' ||
        request.url !== '/v1/traces' ||
        !/json/.test(request.headers['content-type'] ?? '')
      ) {
        response.writeHead(415).end();
        return;
      }
      requestHeaders.push(request.headers);
      for (const resourceSpans of JSON.parse(text).resourceSpans ?? []) {
        const resource = attributesOf(resourceSpans.resource?.attributes);
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              resource,
              status: span.status?.code ?? 0,
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${listening.port}`,
    spans,
    requestHeaders,
    async waitFor(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > deadline) {
          const names = spans.map((s) => `${s.resource['engram.role']}:${s.name}`).join(', ');
          throw new Error(`the expected spans did not arrive within ${timeoutMs} ms; received: ${names}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return spans;
    },
    close: listening.close,
  };
}
