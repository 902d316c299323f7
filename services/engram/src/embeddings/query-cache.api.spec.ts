import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenAiEmbeddingsTestDouble, startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { startTestApp, TestApp } from '../testing/test-app';

for (const backend of ['SQLite', 'PostgreSQL'])
  describe(`recent search queries are embedded once (real api, scripted embedding endpoint, ${backend})`, () => {
    let endpoint: OpenAiEmbeddingsTestDouble;
    let postgres: TestPostgres | undefined;
    let api: TestApp;
    const search = async (query: string, namespace = 'default') => {
      const response = await api.request('POST', '/api/search', {
        body: { query, mode: 'semantic' },
        headers: { 'x-engram-namespace': namespace },
      });
      assert.equal(response.status, 200, response.text);
      return response.body.results.map((hit: any) => hit.memory.content) as string[];
    };

    before(async () => {
      endpoint = await startOpenAiEmbeddingsTestDouble({ dimension: 8, model: 'cache-model' });
      postgres = backend === 'PostgreSQL' ? await startTestPostgres() : undefined;
      api = await startTestApp({
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: endpoint.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: 'cache-model',
        ...(postgres && { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url }),
      });
      await api.request('POST', '/api/memories', { body: { content: 'the garden hose leaks' } });
    });
    after(async () => {
      await api.close();
      await postgres?.close();
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

    it("keeps each namespace's recent queries however many distinct ones another namespace asks", async () => {
      await search('where did I park the car', 'alice');
      // One LRU for every namespace let mallory's distinct queries push alice's out: alice's next search
      // was slower, and by timing her own repeats mallory could tell when others had searched.
      for (let i = 0; i < 300; i++) await search(`mallory question ${i}`, 'mallory');
      const embedded = endpoint.requests;
      await search('where did I park the car', 'alice');
      assert.equal(endpoint.requests, embedded, "alice's query still came from her recent queries");
      await search('mallory question 299', 'mallory');
      assert.equal(endpoint.requests, embedded, "mallory's newest query is still kept");
      await search('mallory question 0', 'mallory');
      assert.equal(endpoint.requests, embedded + 1, "mallory's oldest query gave way to her own newer ones");
    });
  });
