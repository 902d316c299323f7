import { TracingConfig, TracingSampler } from './config.types';
import { EnvReader } from './env-reader';

const SAMPLERS: readonly TracingSampler[] = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
];

/**
 * OpenTelemetry tracing, from the standard OTEL_* variables: off unless an OTLP endpoint is set
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces) and
 * OTEL_SDK_DISABLED is not true. Spans go out as OTLP over HTTP in JSON, which the OpenTelemetry
 * Collector and Jaeger accept on their HTTP port (4318), not the gRPC one (4317).
 */
export function readTracingConfig(read: EnvReader): TracingConfig {
  const base = read.url('OTEL_EXPORTER_OTLP_ENDPOINT');
  const traces = read.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const sampler = read.oneOf('OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on');
  const disabled = read.boolean('OTEL_SDK_DISABLED', false);
  return {
    tracesEndpoint: disabled ? undefined : (traces ?? (base ? `${base}/v1/traces` : undefined)),
    headers: keyValues('OTEL_EXPORTER_OTLP_HEADERS', read.raw('OTEL_EXPORTER_OTLP_HEADERS'), read.errors),
    serviceName: read.string('OTEL_SERVICE_NAME', 'engram'),
    resourceAttributes: keyValues('OTEL_RESOURCE_ATTRIBUTES', read.raw('OTEL_RESOURCE_ATTRIBUTES'), read.errors),
    sampler,
    samplerRatio: sampler.endsWith('traceidratio') ? read.decimal('OTEL_TRACES_SAMPLER_ARG', 1, 0, 1) : 1,
  };
}

/** `key1=value1,key2=value2` with percent-encoded values (the W3C baggage form the OTEL_* lists use). */
function keyValues(name: string, raw: string | undefined, errors: string[]): Record<string, string> {
  if (raw === undefined) return {};
  const pairs: Record<string, string> = {};
  for (const item of raw.split(',').filter((part) => part.trim() !== '')) {
    const separator = item.indexOf('=');
    const key = item.slice(0, separator).trim();
    if (separator < 1 || key === '') {
      // The value may be a secret (an exporter token): name the variable and the position, never the text.
      errors.push(`${name}: each entry must be key=value, separated by commas`);
      return {};
    }
    try {
      pairs[key] = decodeURIComponent(item.slice(separator + 1).trim());
    } catch {
      errors.push(`${name}: the value of ${key} is not valid percent-encoding`);
    }
  }
  return pairs;
}
