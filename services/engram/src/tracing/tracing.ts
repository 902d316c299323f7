import { hostname } from 'node:os';
import { ENGRAM_VERSION } from '../common/version';
import { TracingConfig } from '../config/config.types';

let active = false;

/** True once the OpenTelemetry SDK runs in this process; the span helpers do nothing until then. */
export function tracingActive(): boolean {
  return active;
}

export interface Tracing {
  /** Flushes the spans still buffered and stops exporting (call at shutdown, after the server closed). */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK with an OTLP/HTTP exporter when an endpoint is configured; without one
 * nothing is loaded and every span helper stays a no-op. Only Engram's own spans are recorded (no
 * automatic instrumentation, no metrics or logs export: Prometheus and stdout cover those).
 */
export async function startTracing(config: TracingConfig, role: string): Promise<Tracing> {
  if (!config.tracesEndpoint) return { shutdown: async () => undefined };
  const [{ NodeSDK }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const sdk = new NodeSDK({
    // Resource attributes come from the configuration alone (no detectors reading the environment or
    // the command line, which may carry secrets).
    autoDetectResources: false,
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      'service.name': config.serviceName,
      'service.version': ENGRAM_VERSION,
      'service.instance.id': `${hostname()}:${process.pid}`,
      'engram.role': role,
    }),
    traceExporter: new OTLPTraceExporter({ url: config.tracesEndpoint, headers: config.headers }),
    sampler: await samplerFor(config),
    instrumentations: [],
  });
  sdk.start();
  active = true;
  return {
    async shutdown() {
      active = false;
      await sdk.shutdown();
    },
  };
}

async function samplerFor({ sampler, samplerRatio }: TracingConfig) {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } =
    await import('@opentelemetry/sdk-trace');
  const root = sampler.endsWith('always_off')
    ? new AlwaysOffSampler()
    : sampler.endsWith('traceidratio')
      ? new TraceIdRatioBasedSampler(samplerRatio)
      : new AlwaysOnSampler();
  return sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}
