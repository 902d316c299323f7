import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenAiEmbeddingsTestDouble, startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { startTestApp, TestApp } from '../testing/test-app';

describe('recent search queries are embedded once (real api, scripted embedding endpoint)', () => {
  let endpoint: OpenAiEmbeddingsTestDouble;
  let api: TestApp;
  const search = async (query: string) => {
    const response = await api.request('POST', '/api/search', { body: { query, mode: 'semantic' } });
    assert.equal(response.status, 200, response.text);
    return response.body.results.map((hit: any) => hit.memory.content) as string[];
  };

  before(async () => {
    endpoint = await startOpenAiEmbeddingsTestDouble({ dimension: 8, model: 'cache-model' });
    api = await startTestApp({
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: endpoint.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: 'cache-model',
    });
    await api.request('POST', '/api/memories', { body: { content: 'the garden hose leaks' } });
  });
  after(async () => {
    await api.close();
    await endpoint.close();
  });

  it('answers a repeated query from the cache with the same results, and forgets the least recent', async () => {
    const first = await search('garden hose');
    const embedded = endpoint.requests;
    assert.deepEqual(await search('garden hose'), first);
    assert.equal(endpoint.requests, embedded, 'the repeated query was not embedded again');

    await search('another question');
    assert.equal(endpoint.requests, embedded + 1);
    // 256 queries are kept: 256 newer ones push "garden hose" out.
    for (let i = 0; i < 256; i++) await search(`question number ${i}`);
    const beforeRepeat = endpoint.requests;
    await search('garden hose');
    assert.equal(endpoint.requests, beforeRepeat + 1, 'the oldest query was evicted and embedded again');
  });
});
