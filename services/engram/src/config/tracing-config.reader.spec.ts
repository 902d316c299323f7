import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvReader } from './env-reader';
import { readTracingConfig } from './tracing-config.reader';

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  return { config: readTracingConfig(reader), problems: reader.errors };
}

describe('tracing configuration (standard OTEL_* variables)', () => {
  it('is off without an OTLP endpoint, with the default service name and parent-based sampling', () => {
    const { config, problems } = read({});
    assert.deepEqual(problems, []);
    assert.equal(config.tracesEndpoint, undefined);
    assert.equal(config.serviceName, 'engram');
    assert.equal(config.sampler, 'parentbased_always_on');
  });

  it('sends to <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces, or to the traces endpoint exactly as given', () => {
    assert.equal(
      read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).config.tracesEndpoint,
      'http://collector:4318/v1/traces',
    );
    const both = read({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/v1/traces',
    });
    assert.equal(both.config.tracesEndpoint, 'https://traces.example.com/otlp/v1/traces');
  });

  it('stays off with OTEL_SDK_DISABLED=true even with an endpoint', () => {
    const { config } = read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' });
    assert.equal(config.tracesEndpoint, undefined);
  });

  it('reads headers and resource attributes as percent-encoded key=value lists', () => {
    const { config } = read({
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=one',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, service.namespace=memory',
    });
    assert.deepEqual(config.headers, { authorization: 'Bearer abc', 'x-tenant': 'one' });
    assert.deepEqual(config.resourceAttributes, { 'deployment.environment': 'prod', 'service.namespace': 'memory' });
  });

  it('names a malformed header list without repeating its (possibly secret) text', () => {
    const { problems } = read({ OTEL_EXPORTER_OTLP_HEADERS: 'token-without-equals-s3cret' });
    assert.deepEqual(problems, ['OTEL_EXPORTER_OTLP_HEADERS: each entry must be key=value, separated by commas']);
    assert.ok(!problems.join('').includes('s3cret'));
  });

  it('accepts the ratio samplers with their argument and refuses unknown samplers and endpoints', () => {
    const ratio = read({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    assert.equal(ratio.config.samplerRatio, 0.25);
    const { problems } = read({ OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems.join('\n'), /OTEL_TRACES_SAMPLER=jaeger_remote is not supported/);
    assert.match(problems.join('\n'), /OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318 is not accepted; expected an http/);
  });
});
