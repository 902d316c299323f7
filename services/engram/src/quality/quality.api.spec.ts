import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { startTestApp, TestApp } from '../testing/test-app';

describe('usage signals and quality: recorded off the read path, blended into ranking only when asked', () => {
  let api: TestApp;
  let mcp: McpTestClient;
  const store = async (content: string, tags: string[] = []) =>
    (await api.request('POST', '/api/memories', { body: { content, tags } })).body.memory.content_hash as string;
  const quality = async (hash: string) => (await api.request('GET', `/api/quality/${hash}`)).body;
  const order = async (body: Record<string, unknown>) =>
    (await api.request('POST', '/api/search', { body })).body.results.map((hit: any) => hit.memory.content_hash);

  before(async () => {
    api = await startTestApp();
    ({ client: mcp } = await connectHttpClient(api.url));
  });
  after(async () => {
    await mcp.close();
    await api.close();
  });

  it('counts retrievals by search and fetches by a direct read, and reports them with the score', async () => {
    const hash = await store('The coffee machine on floor 2 needs descaling monthly');
    assert.equal((await quality(hash)).access_count, 0);
    assert.equal((await quality(hash)).quality_score, 0.5, 'unused and unrated is neutral');
    await api.request('POST', '/api/search', { body: { query: 'coffee machine descaling' } });
    await api.request('POST', '/api/search', { body: { query: 'coffee machine floor 2' } });
    await api.request('GET', `/api/memories/${hash}`);
    const seen = await quality(hash);
    assert.equal(seen.retrievals, 2);
    assert.equal(seen.fetches, 1);
    assert.ok(seen.quality_score > 0.5, 'use lifts the score');
    assert.equal(typeof seen.last_accessed_at, 'number');
  });

  it('rates through both paths and answers old and new score; refuses a rating outside -1..1 and unknown hashes', async () => {
    const hash = await store('The parking garage closes at 22:00');
    const up = await api.request('POST', `/api/quality/${hash}/rate`, { body: { rating: 1, feedback: 'useful' } });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.old_quality_score, 0.5);
    assert.ok(up.body.new_quality_score > 0.5);
    const down = await api.request('POST', `/api/quality/memories/${hash}/rate`, { body: { rating: -1 } });
    assert.equal(down.status, 200, down.text);
    assert.ok(down.body.new_quality_score < up.body.new_quality_score);
    const view = await quality(hash);
    assert.equal(view.rating_count, 2);
    assert.equal(view.user_rating, -1);
    assert.equal((await api.request('GET', `/api/quality/memories/${hash}`)).body.quality_score, view.quality_score);
    const bad = await api.request('POST', `/api/quality/${hash}/rate`, { body: { rating: 5 } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /rating/);
    const missing = await api.request('POST', `/api/quality/${'a'.repeat(64)}/rate`, { body: { rating: 1 } });
    assert.equal(missing.status, 404);
  });

  it('changes the ranking only when quality_boost asks for it, the same over REST and MCP', async () => {
    const hashes = [
      await store('Lunch options near the office: ramen place on Elm Street'),
      await store('Lunch options near the office: salad bar by the station'),
      await store('Lunch options near the office: the taco truck on Fridays'),
    ];
    const query = { query: 'lunch options near the office', mode: 'semantic', n_results: 3 };
    const plain = await order(query);
    assert.deepEqual([...plain].sort(), [...hashes].sort());
    const last = plain[2];
    await api.request('POST', `/api/quality/${last}/rate`, { body: { rating: 1 } });
    for (const other of plain.slice(0, 2)) {
      await api.request('POST', `/api/quality/${other}/rate`, { body: { rating: -1 } });
    }
    assert.deepEqual(await order(query), plain, 'ratings alone leave the ranking as it was');
    assert.deepEqual(await order({ ...query, quality_boost: false, quality_weight: 0.9 }), plain);
    const boosted = await api.request('POST', '/api/search', {
      body: { ...query, quality_boost: true, quality_weight: 0.9 },
    });
    assert.equal(boosted.body.results[0].memory.content_hash, last, 'the well-rated memory rises to the top');
    assert.equal(typeof boosted.body.results[0].quality_score, 'number');
    // memory_search applies the server's min_score floor unless told otherwise; REST does not.
    const { n_results: limit, ...mcpQuery } = query; // memory_search takes limit, as MCP Memory Service's does
    const viaMcp = await callTool(mcp, 'memory_search', { ...mcpQuery, limit, min_score: 0, quality_boost: 0.9 });
    assert.equal(viaMcp.structured.results[0].memory.content_hash, last);
    const plainMcp = await callTool(mcp, 'memory_search', { ...mcpQuery, limit, min_score: 0 });
    assert.deepEqual(
      plainMcp.structured.results.map((hit: any) => hit.memory.content_hash),
      plain,
    );
  });

  it('reports the distribution of current memories and the MCP memory_quality actions', async () => {
    const hash = await store('The wifi guest password rotates every Monday');
    const rated = await callTool(mcp, 'memory_quality', { action: 'rate', content_hash: hash, rating: 1 });
    assert.equal(rated.isError, undefined, rated.text);
    assert.ok(rated.structured.result.new_quality_score > 0.5);
    const got = await callTool(mcp, 'memory_quality', { action: 'get', content_hash: hash });
    assert.equal(got.structured.result.rating_count, 1);
    const rest = (await api.request('GET', '/api/quality/distribution')).body;
    const analyzed = (await callTool(mcp, 'memory_quality', { action: 'analyze' })).structured.result;
    assert.equal(rest.total_memories, analyzed.total_memories);
    assert.equal(rest.total_memories, rest.high_quality_count + rest.medium_quality_count + rest.low_quality_count);
    assert.ok(
      rest.top_memories.length <= 10 && rest.top_memories[0].quality_score >= rest.bottom_memories[0].quality_score,
    );
    const onlyHigh = (await api.request('GET', '/api/quality/distribution?min_quality=0.7')).body;
    assert.equal(onlyHigh.total_memories, rest.high_quality_count);
    assert.equal((await api.request('GET', '/api/quality/distribution?min_quality=2')).status, 400);
    const empty = await api.request('GET', '/api/quality/distribution?min_quality=0.8&max_quality=0.2');
    assert.equal(empty.status, 400);
    assert.match(empty.body.message, /min_quality is above max_quality/);
    const emptyTool = await callTool(mcp, 'memory_quality', { action: 'analyze', min_quality: 0.8, max_quality: 0.2 });
    assert.equal(emptyTool.isError, true);
    assert.match(emptyTool.text, /min_quality is above max_quality/);
    const missingRating = await callTool(mcp, 'memory_quality', { action: 'rate', content_hash: hash });
    assert.equal(missingRating.isError, true);
  });
});

describe("MCP Memory Service's request shapes (its hooks and docs) are accepted and answered in its shapes", () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp();
    await api.request('POST', '/api/memories', {
      body: { content: 'Project Kestrel: decided to use PostgreSQL for the ledger', tags: ['kestrel', 'decision'] },
    });
  });
  after(() => api.close());

  it('POST /api/search with n_results, quality_boost and quality_weight', async () => {
    const answer = await api.request('POST', '/api/search', {
      body: { query: 'ledger database decision', n_results: 5, quality_boost: true, quality_weight: 0.3 },
    });
    assert.equal(answer.status, 200, answer.text);
    const [hit] = answer.body.results;
    assert.match(hit.memory.content, /Kestrel/);
    assert.equal(typeof hit.similarity_score, 'number');
    assert.equal(typeof hit.relevance_reason, 'string');
    for (const field of ['total_found', 'query', 'search_type', 'processing_time_ms']) assert.ok(field in answer.body);
  });

  it('POST /api/search/by-tag with match_all and a time_filter phrase; an unparseable phrase is a 400 naming it', async () => {
    const recent = await api.request('POST', '/api/search/by-tag', {
      body: { tags: ['kestrel', 'decision'], match_all: true, time_filter: 'last 7 days' },
    });
    assert.equal(recent.status, 200, recent.text);
    assert.equal(recent.body.total_found, 1);
    assert.match(recent.body.results[0].memory.content, /Kestrel/);
    const old = await api.request('POST', '/api/search/by-tag', {
      body: { tags: ['kestrel'], time_filter: '2001-01-01' },
    });
    assert.equal(old.body.total_found, 0, 'the phrase filters');
    const bad = await api.request('POST', '/api/search/by-tag', { body: { tags: ['kestrel'], time_filter: 'blurgh' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /blurgh/);
  });
});
