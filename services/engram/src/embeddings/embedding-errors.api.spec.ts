import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenAiEmbeddingsTestDouble, startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { startTestApp, TestApp } from '../testing/test-app';

describe('an embedding endpoint that fails', () => {
  let endpoint: OpenAiEmbeddingsTestDouble;
  let api: TestApp;

  before(async () => {
    endpoint = await startOpenAiEmbeddingsTestDouble({ dimension: 8, model: 'errors-model' });
    api = await startTestApp({
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: endpoint.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: 'errors-model',
      ENGRAM_EMBEDDING_TIMEOUT_MS: '1000',
    });
  });
  after(async () => {
    await api.close();
    await endpoint.close();
  });

  it('counts each failed embedding call by provider for the alert rules, and not the successful ones', async () => {
    assert.equal((await api.request('POST', '/api/memories', { body: { content: 'embedded fine' } })).status, 201);
    endpoint.fail({ kind: 'status', status: 400, times: 1 });
    const refused = await api.request('POST', '/api/memories', { body: { content: 'the endpoint refuses this one' } });
    assert.ok(refused.status >= 400, `status ${refused.status}`);
    const metrics = (await api.request('GET', '/metrics')).text;
    assert.match(metrics, /^engram_embedding_errors_total\{provider="openai"\} 1$/m);
    assert.match(metrics, /^engram_embedding_duration_seconds_count\{provider="openai"\} [2-9]/m);
  });
});
