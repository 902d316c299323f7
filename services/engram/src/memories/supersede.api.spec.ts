import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { openSse, SseClient } from '../testing/sse-client';
import { startTestApp, TestApp } from '../testing/test-app';

const BOOTSTRAP = 'bootstrap-key-0123456789abcdef';

describe('supersede with history: current truth by default, older versions kept and linked', () => {
  let api: TestApp;
  let events: SseClient;
  let mcp: McpTestClient;
  const headers = { authorization: `Bearer ${BOOTSTRAP}` };
  const request = (method: string, path: string, body?: unknown, as = headers) =>
    api.request(method, path, { headers: as, body });
  const store = async (content: string, tags: string[] = []) =>
    (await request('POST', '/api/memories', { content, tags })).body.memory;
  const hashesOf = (memories: { content_hash: string }[]) => memories.map((memory) => memory.content_hash);
  const searchHashes = async (body: Record<string, unknown>) =>
    hashesOf((await request('POST', '/api/search', body)).body.results.map((hit: any) => hit.memory));

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: BOOTSTRAP });
    events = await openSse(`${api.url}/api/events/stream?frames=named&api_key=${BOOTSTRAP}`);
    ({ client: mcp } = await connectHttpClient(api.url, BOOTSTRAP));
  });
  after(async () => {
    events.close();
    await mcp.close();
    await api.close();
  });

  it('answers 201 with both memories: the old marked superseded_by and valid_to, the new one supersedes', async () => {
    const berlin = await store('Dana lives in Berlin', ['home', 'dana']);
    const answer = await request('POST', `/api/memories/${berlin.content_hash}/supersede`, {
      content: 'Dana moved to Porto',
    });
    assert.equal(answer.status, 201, answer.text);
    const { memory, superseded } = answer.body;
    assert.equal(memory.content, 'Dana moved to Porto');
    assert.equal(memory.supersedes, berlin.content_hash);
    assert.deepEqual(memory.tags, ['dana', 'home'], 'tags left out are carried over');
    assert.equal(superseded.content, 'Dana lives in Berlin', 'the old memory keeps its content');
    assert.equal(superseded.superseded, true);
    assert.equal(superseded.superseded_by, memory.content_hash);
    assert.ok(Date.parse(superseded.valid_to_iso) >= Date.parse(berlin.created_at_iso));
    const old = await request('GET', `/api/memories/${berlin.content_hash}`);
    assert.equal(old.body.superseded_by, memory.content_hash, 'a direct read still finds the old version');
    await events.waitFor((frames) =>
      frames.some((frame) => {
        if (frame.event !== 'memory_superseded') return false;
        const { payload } = JSON.parse(frame.data);
        return payload.content_hash === berlin.content_hash && payload.superseded_by === memory.content_hash;
      }),
    );
  });

  it('hides superseded memories from search, tag search and lists unless include_superseded is true', async () => {
    const old = await store('The staging database runs on port 5433', ['infra']);
    const next = (
      await request('POST', `/api/memories/${old.content_hash}/supersede`, {
        content: 'The staging database now runs on port 6543',
      })
    ).body.memory;
    for (const mode of ['hybrid', 'semantic', 'keyword']) {
      const hits = await searchHashes({ query: 'staging database port', mode });
      assert.ok(hits.includes(next.content_hash), `${mode} finds the current version`);
      assert.ok(!hits.includes(old.content_hash), `${mode} hides the superseded version`);
      const all = await searchHashes({ query: 'staging database port', mode, include_superseded: true });
      assert.ok(all.includes(old.content_hash), `${mode} with include_superseded shows it`);
    }
    const byTag = async (include: boolean) =>
      hashesOf(
        (
          await request('POST', '/api/search/by-tag', { tags: ['infra'], include_superseded: include })
        ).body.results.map((hit: any) => hit.memory),
      );
    assert.deepEqual(await byTag(false), [next.content_hash]);
    assert.deepEqual((await byTag(true)).sort(), [old.content_hash, next.content_hash].sort());
    const list = (await request('GET', '/api/memories?tag=infra')).body;
    assert.deepEqual(hashesOf(list.memories), [next.content_hash]);
    assert.equal(list.total, 1);
    const marked = (await request('GET', '/api/memories?tag=infra&include_superseded=true')).body.memories;
    const oldView = marked.find((memory: any) => memory.content_hash === old.content_hash);
    assert.equal(oldView.superseded, true, 'shown marked');
    assert.equal(oldView.superseded_by, next.content_hash);
  });

  it('returns the whole chain in order from any version, and refuses to supersede an old version twice', async () => {
    const v1 = await store('The team standup is at 9:00');
    const v2 = (
      await request('POST', `/api/memories/${v1.content_hash}/supersede`, { content: 'Standup moved to 9:30' })
    ).body.memory;
    const v3 = (
      await request('POST', `/api/memories/${v2.content_hash}/supersede`, { content: 'Standup is at 10:00 now' })
    ).body.memory;
    for (const version of [v1, v2, v3]) {
      const history = await request('GET', `/api/memories/${version.content_hash}/history`);
      assert.equal(history.status, 200, history.text);
      assert.deepEqual(hashesOf(history.body.versions), [v1.content_hash, v2.content_hash, v3.content_hash]);
    }
    const again = await request('POST', `/api/memories/${v1.content_hash}/supersede`, { content: 'Standup at 11' });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error, 'conflict');
    assert.match(again.body.message, new RegExp(v2.content_hash));
  });

  it('refuses a replacement whose text is already stored (409), an unknown hash (404) and an empty body (400)', async () => {
    const first = await store('The office plant is a fern');
    const other = await store('The office plant needs water on Mondays');
    const duplicate = await request('POST', `/api/memories/${first.content_hash}/supersede`, {
      content: other.content,
    });
    assert.equal(duplicate.status, 409, duplicate.text);
    assert.equal(duplicate.body.error, 'duplicate_content');
    assert.equal((await request('GET', `/api/memories/${first.content_hash}`)).body.superseded, undefined);
    const missing = await request('POST', `/api/memories/${'0'.repeat(64)}/supersede`, { content: 'x' });
    assert.equal(missing.status, 404);
    const empty = await request('POST', `/api/memories/${first.content_hash}/supersede`, { content: ' ' });
    assert.equal(empty.status, 400);
    assert.equal((await request('GET', `/api/memories/${'0'.repeat(64)}/history`)).status, 404);
  });

  it('keeps supersession inside a namespace: another namespace can neither see nor supersede the memory', async () => {
    const keyFor = async (namespace: string) =>
      (await request('POST', '/api/admin/keys', { name: namespace, scopes: ['write'], namespace })).body.key as string;
    const teamA = { authorization: `Bearer ${await keyFor('team-a')}` };
    const teamB = { authorization: `Bearer ${await keyFor('team-b')}` };
    const mine = (await request('POST', '/api/memories', { content: 'Team A deploys on Thursdays' }, teamA)).body
      .memory;
    const refused = await request(
      'POST',
      `/api/memories/${mine.content_hash}/supersede`,
      { content: 'B says so' },
      teamB,
    );
    assert.equal(refused.status, 404);
    assert.equal((await request('GET', `/api/memories/${mine.content_hash}/history`, undefined, teamB)).status, 404);
    const own = await request(
      'POST',
      `/api/memories/${mine.content_hash}/supersede`,
      { content: 'Team A deploys on Fridays' },
      teamA,
    );
    assert.equal(own.status, 201, own.text);
    const history = await request('GET', `/api/memories/${mine.content_hash}/history`, undefined, teamA);
    assert.equal(history.body.total, 2);
  });

  it('supersedes over MCP (memory_supersede, memory_update versioned) and reads history; search and fetch show the current truth', async () => {
    const stored = await callTool(mcp, 'memory_store', { content: 'The release train leaves every second Tuesday' });
    const old = stored.structured.content_hash;
    const versioned = await callTool(mcp, 'memory_update', {
      content_hash: old,
      updates: { content: 'The release train leaves every Wednesday' },
      versioned: true,
    });
    assert.equal(versioned.isError, undefined, versioned.text);
    assert.equal(versioned.structured.superseded.superseded_by, versioned.structured.content_hash);
    const middle = versioned.structured.content_hash;
    const superseding = await callTool(mcp, 'memory_supersede', {
      content_hash: middle,
      content: 'The release train leaves every Thursday',
    });
    assert.equal(superseding.isError, undefined, superseding.text);
    const current = superseding.structured.content_hash;
    const history = await callTool(mcp, 'memory_history', { content_hash: old });
    assert.deepEqual(hashesOf(history.structured.versions), [old, middle, current]);

    const search = await callTool(mcp, 'memory_search', { query: 'release train leaves', limit: 10 });
    const found = hashesOf(search.structured.results.map((hit: any) => hit.memory));
    assert.ok(found.includes(current) && !found.includes(old) && !found.includes(middle));
    const all = await callTool(mcp, 'memory_search', { query: 'release train leaves', include_superseded: true });
    assert.ok(hashesOf(all.structured.results.map((hit: any) => hit.memory)).includes(old));
    const connector = JSON.parse((await callTool(mcp, 'search', { query: 'release train leaves' })).text);
    assert.ok(!connector.results.some((result: any) => result.id === old || result.id === middle));
    const fetched = JSON.parse((await callTool(mcp, 'fetch', { id: old })).text);
    assert.equal(fetched.id, current, 'fetch of an old id answers the current version');
    assert.equal(fetched.metadata.requested_id, old);

    const withoutContent = await callTool(mcp, 'memory_update', {
      content_hash: current,
      tags: ['x'],
      versioned: true,
    });
    assert.equal(withoutContent.isError, true);
    assert.match(withoutContent.text, /versioned: true needs new content/);
  });
});
