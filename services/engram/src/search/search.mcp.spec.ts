import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient } from '../testing/mcp-client';
import { startRerankTestDouble } from '../testing/rerank.test-double';
import { startTestApp, TestApp } from '../testing/test-app';

const MEMORIES = [
  'We decided to use PostgreSQL for the billing service',
  'The staging server certificate expires in March',
  'Grandma’s lasagna recipe needs ricotta and fresh basil',
  'The team prefers squash merges on the main branch',
];
const UNRELATED = 'tuning violin strings with rosin on the bow';

describe('MCP search tools and the default relevance floor', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp();
    await api.request('POST', '/api/memories/batch', { body: { memories: MEMORIES.map((content) => ({ content })) } });
  });
  after(async () => {
    await api.close();
  });

  it('memory_search leaves out what scores under the server floor, unless the caller sets its own', async () => {
    const { client } = await connectHttpClient(api.url);
    try {
      const unrelated = await callTool(client, 'memory_search', { query: UNRELATED });
      assert.deepEqual(unrelated.structured.results, []);
      // The floor's effect is said, with the way past it, so an agent is not left with a bare "0 found".
      assert.equal(unrelated.structured.below_floor, MEMORIES.length);
      assert.equal(
        unrelated.text,
        `0 memories found; ${MEMORIES.length} more below min_score ${api.config.search.minScore} (pass min_score 0 to include them)`,
      );
      const everything = await callTool(client, 'memory_search', { query: UNRELATED, min_score: 0 });
      assert.equal(everything.structured.results.length, MEMORIES.length);
      assert.equal(everything.structured.below_floor, 0);
      assert.match(everything.text, /^4 memories found\n1\. /);
      const related = await callTool(client, 'memory_search', { query: 'which database handles billing' });
      assert.equal(related.structured.results[0].memory.content, MEMORIES[0]);
      for (const hit of related.structured.results) assert.ok(hit.score >= api.config.search.minScore);
      assert.deepEqual(related.structured.rerank, { applied: false, reason: 'not_configured' });
    } finally {
      await client.close();
    }
  });

  it('memory_search passes rerank: false through to the rerank stage', async () => {
    const reranker = await startRerankTestDouble();
    const withReranker = await startTestApp({ ENGRAM_RERANK_URL: reranker.url, ENGRAM_RERANK_MODEL: reranker.model });
    const { client } = await connectHttpClient(withReranker.url);
    try {
      await withReranker.request('POST', '/api/memories/batch', {
        body: { memories: MEMORIES.map((content) => ({ content })) },
      });
      const reranked = await callTool(client, 'memory_search', { query: 'billing database' });
      assert.deepEqual(reranked.structured.rerank, { applied: true, model: reranker.model });
      assert.equal(reranked.structured.results[0].rerank_score, reranked.structured.results[0].score);
      const unranked = await callTool(client, 'memory_search', { query: 'billing database', rerank: false });
      assert.deepEqual(unranked.structured.rerank, { applied: false, reason: 'not_requested' });
      assert.equal(reranker.requests.length, 1);
    } finally {
      await client.close();
      await withReranker.close();
      await reranker.close();
    }
  });

  it('the connector search tool applies the floor too', async () => {
    const { client } = await connectHttpClient(api.url);
    try {
      const unrelated = JSON.parse((await callTool(client, 'search', { query: UNRELATED })).text);
      assert.deepEqual(unrelated.results, []);
      const related = JSON.parse((await callTool(client, 'search', { query: 'staging certificate expiry' })).text);
      assert.equal(related.results[0].title, MEMORIES[1]);
    } finally {
      await client.close();
    }
  });
});
