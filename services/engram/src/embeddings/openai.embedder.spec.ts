import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { EmbeddingUnavailable } from '../common/domain-errors';
import {
  hashedBagOfWords,
  OpenAiEmbeddingsTestDouble,
  startOpenAiEmbeddingsTestDouble,
} from '../testing/openai-embeddings.test-double';
import { OpenAiEmbedder, OpenAiEmbedderOptions } from './openai.embedder';

const DIMENSION = 48;

function embedderFor(
  double: OpenAiEmbeddingsTestDouble,
  overrides: Partial<OpenAiEmbedderOptions> = {},
): OpenAiEmbedder {
  return new OpenAiEmbedder({
    baseUrl: double.url,
    model: double.model,
    batchSize: 8,
    requestTimeoutMs: 2_000,
    retryBaseDelayMs: 5,
    ...overrides,
  });
}

function dot(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, i) => sum + value * b[i], 0);
}

describe('OpenAiEmbedder', () => {
  let double: OpenAiEmbeddingsTestDouble;

  before(async () => {
    double = await startOpenAiEmbeddingsTestDouble({ dimension: DIMENSION });
  });
  after(() => double.close());

  it('learns the dimension from the probe and names the model', async () => {
    const embedder = embedderFor(double);
    assert.equal(embedder.dimension, 0);
    await embedder.init();
    assert.equal(embedder.dimension, DIMENSION);
    assert.equal(embedder.modelId, `openai:${double.model}`);
    assert.equal(embedder.provider, 'openai');
    assert.equal(embedder.engine, `OpenAI-compatible API at ${new URL(double.url).origin}`);
  });

  it('names the endpoint by its origin only, never its user info or path', () => {
    const embedder = new OpenAiEmbedder({
      baseUrl: 'https://user:secret@embeddings.example/v1/token-abc',
      model: 'm',
      batchSize: 4,
      requestTimeoutMs: 1_000,
    });
    assert.equal(embedder.engine, 'OpenAI-compatible API at https://embeddings.example');
  });

  it('returns the server vectors in input order across batches', async () => {
    const embedder = embedderFor(double, { batchSize: 7 });
    await embedder.init();
    const texts = Array.from({ length: 30 }, (_, i) => `memory number ${i} about topic${i % 5}`);
    const before = double.requests;
    const vectors = await embedder.embed(texts);
    assert.equal(double.requests - before, Math.ceil(30 / 7));
    assert.equal(vectors.length, 30);
    vectors.forEach((vector, i) => {
      assert.ok(vector instanceof Float32Array);
      assert.deepEqual([...vector], [...Float32Array.from(hashedBagOfWords(texts[i], DIMENSION))]);
    });
    assert.ok(dot(vectors[0], vectors[5]) > dot(vectors[0], vectors[1]), 'same topic word should be closer');
  });

  it('returns [] for no texts without calling the server', async () => {
    const before = double.requests;
    assert.deepEqual(await embedderFor(double).embed([]), []);
    assert.equal(double.requests, before);
  });

  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    const embedder = embedderFor(double);
    double.fail({ kind: 'status', status: 429, times: 2 }, { kind: 'status', status: 503 });
    const before = double.requests;
    const [vector] = await embedder.embed(['retried text']);
    assert.equal(double.requests - before, 4);
    assert.equal(vector.length, DIMENSION);
  });

  it('honours Retry-After', async () => {
    const embedder = embedderFor(double);
    double.fail({ kind: 'status', status: 429, retryAfterSeconds: 0.3 });
    const started = Date.now();
    await embedder.embed(['after a pause']);
    assert.ok(Date.now() - started >= 280, `waited only ${Date.now() - started} ms`);
  });

  it('retries a dropped connection and a timeout', async () => {
    const embedder = embedderFor(double, { requestTimeoutMs: 200 });
    double.fail({ kind: 'drop' }, { kind: 'hang' });
    const before = double.requests;
    const [vector] = await embedder.embed(['eventually answered']);
    assert.equal(double.requests - before, 3);
    assert.equal(vector.length, DIMENSION);
  });

  it('gives up after maxRetries with EmbeddingUnavailable naming the status', async () => {
    const embedder = embedderFor(double, { maxRetries: 2 });
    double.fail({ kind: 'status', status: 500, times: 3 });
    const before = double.requests;
    await assert.rejects(embedder.embed(['x']), (error: unknown) => {
      assert.ok(error instanceof EmbeddingUnavailable);
      assert.match(error.message, /after 3 attempts: HTTP 500/);
      return true;
    });
    assert.equal(double.requests - before, 3);
  });

  it('does not retry a client error such as an unknown model', async () => {
    const embedder = embedderFor(double, { model: 'no-such-model' });
    const before = double.requests;
    await assert.rejects(embedder.init(), (error: unknown) => {
      assert.ok(error instanceof EmbeddingUnavailable);
      assert.match(error.message, /HTTP 404.*no-such-model/);
      return true;
    });
    assert.equal(double.requests - before, 1);
  });

  it('rejects a dimension that differs from the configured one', async () => {
    const embedder = embedderFor(double, { dimension: 64 });
    await assert.rejects(embedder.init(), (error: unknown) => {
      assert.ok(error instanceof EmbeddingUnavailable);
      assert.match(error.message, /returned 48-d vectors, expected 64-d/);
      return true;
    });
  });

  it('rejects a dimension change after init', async () => {
    const embedder = embedderFor(double);
    await embedder.init();
    double.fail({ kind: 'wrong-dimension' });
    await assert.rejects(embedder.embed(['grown vector']), /returned 49-d vectors, expected 48-d/);
  });

  it('rejects a body that is not JSON without retrying', async () => {
    const embedder = embedderFor(double);
    double.fail({ kind: 'bad-json' });
    const before = double.requests;
    await assert.rejects(embedder.embed(['x']), (error: unknown) => {
      assert.ok(error instanceof EmbeddingUnavailable);
      assert.match(error.message, /invalid answer: not JSON/);
      return true;
    });
    assert.equal(double.requests - before, 1);
  });

  it('reports an unreachable endpoint as EmbeddingUnavailable', async () => {
    const closed = await startOpenAiEmbeddingsTestDouble({ dimension: 4 });
    await closed.close();
    const embedder = embedderFor(closed, { maxRetries: 1 });
    await assert.rejects(embedder.init(), (error: unknown) => {
      assert.ok(error instanceof EmbeddingUnavailable);
      assert.match(error.message, /failed after 2 attempts: ECONNREFUSED/);
      return true;
    });
  });

  describe('with an API key', () => {
    let secured: OpenAiEmbeddingsTestDouble;
    const apiKey = 'sk-test-very-secret-key';

    before(async () => {
      secured = await startOpenAiEmbeddingsTestDouble({ dimension: 8, apiKey });
    });
    after(() => secured.close());

    it('sends it as a bearer token', async () => {
      const embedder = embedderFor(secured, { apiKey });
      await embedder.init();
      assert.equal(secured.lastAuthorization, `Bearer ${apiKey}`);
    });

    it('never shows it in errors or when the embedder is inspected', async () => {
      const embedder = embedderFor(secured, { apiKey: 'sk-wrong-key-123' });
      await assert.rejects(embedder.init(), (error: unknown) => {
        assert.ok(error instanceof EmbeddingUnavailable);
        assert.match(error.message, /HTTP 401/);
        assert.ok(!error.message.includes('sk-wrong-key-123'));
        return true;
      });
      assert.ok(!inspect(embedder, { depth: 5 }).includes('sk-wrong-key-123'));
      assert.ok(!JSON.stringify(embedder).includes('sk-wrong-key-123'));
    });
  });
});
