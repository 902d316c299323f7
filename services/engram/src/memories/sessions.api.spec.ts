import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { startTestApp, TestApp } from '../testing/test-app';
import { turnWindows } from './session.service';

const turns = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    role: i % 2 ? 'assistant' : 'user',
    content: `Turn ${i + 1} about the quarterly planning of the kestrel project`,
  }));

describe('sessions: a conversation as a session memory plus turn-window chunks pointing back to it', () => {
  let api: TestApp;
  let mcp: McpTestClient;
  before(async () => {
    api = await startTestApp();
    ({ client: mcp } = await connectHttpClient(api.url));
  });
  after(async () => {
    await mcp.close();
    await api.close();
  });

  it('splits turns into overlapping windows that cover every turn', () => {
    assert.deepEqual(turnWindows(3, 4, 1), []);
    assert.deepEqual(turnWindows(10, 4, 1), [
      [1, 4],
      [4, 7],
      [7, 10],
    ]);
    assert.deepEqual(turnWindows(5, 2, 0), [
      [1, 2],
      [3, 4],
      [5, 5],
    ]);
  });

  it('POST /api/sessions (MCP Memory Service hooks) stores the session and chunks that name it; again adds nothing', async () => {
    const body = { session_id: 'Hook-7', turns: turns(10), tags: ['planning'], window: 4, overlap: 1 };
    const stored = await api.request('POST', '/api/sessions', { body, headers: { 'x-agent-id': 'claude' } });
    assert.equal(stored.status, 201, stored.text);
    assert.equal(stored.body.created, true);
    assert.equal(stored.body.memory.memory_type, 'session');
    assert.deepEqual(stored.body.memory.tags, ['agent:claude', 'planning', 'session:hook-7']);
    assert.equal(stored.body.memory.metadata.turns, 10);
    assert.deepEqual(
      stored.body.chunks.map((chunk: any) => chunk.turns),
      [
        [1, 4],
        [4, 7],
        [7, 10],
      ],
    );
    const chunk = (await api.request('GET', `/api/memories/${stored.body.chunks[1].content_hash}`)).body;
    assert.equal(chunk.memory_type, 'session_chunk');
    assert.equal(chunk.metadata.session_hash, stored.body.content_hash);
    assert.equal(
      chunk.content.split('\n')[0],
      '[assistant] Turn 4 about the quarterly planning of the kestrel project',
    );
    const again = await api.request('POST', '/api/sessions', { body, headers: { 'x-agent-id': 'claude' } });
    assert.equal(again.body.created, false);
    assert.ok(again.body.chunks.every((c: any) => c.created === false));
    const listed = await api.request('GET', '/api/memories?tag=session:hook-7&page_size=100');
    assert.equal(listed.body.total, 4, 'one session and three chunks, stored once');
  });

  it('refuses malformed sessions with 400 naming the field', async () => {
    const overlap = await api.request('POST', '/api/sessions', { body: { turns: turns(3), window: 2, overlap: 2 } });
    assert.equal(overlap.status, 400);
    assert.match(overlap.text, /overlap must be smaller than window/);
    const empty = await api.request('POST', '/api/sessions', { body: { turns: [] } });
    assert.equal(empty.status, 400);
    assert.match(empty.text, /turns/);
  });

  it('names the session, not a batch item, when its text is over the size limit (REST and MCP)', async () => {
    const long = Array.from({ length: 30 }, (_, i) => ({ role: 'user', content: `${i} ${'word '.repeat(500)}` }));
    const rest = await api.request('POST', '/api/sessions', { body: { turns: long, window: 4 } });
    assert.equal(rest.status, 413, rest.text);
    assert.match(rest.body.message, /^session: content is \d+ bytes; the limit is 65536/);
    const tool = await callTool(mcp, 'memory_store_session', { turns: long, window: 4 });
    assert.equal(tool.isError, true);
    assert.match(tool.text, /^session: content is \d+ bytes/);
  });

  it('memory_store_session takes the same fields and answers the chunk hashes', async () => {
    const stored = await callTool(mcp, 'memory_store_session', { session_id: 'mcp-1', turns: turns(6), window: 3 });
    assert.equal(stored.isError, undefined, stored.text);
    assert.equal(stored.structured.chunk_hashes.length, 3);
    const short = await callTool(mcp, 'memory_store_session', {
      turns: turns(2).map((t) => ({ ...t, content: `${t.content}!` })),
    });
    assert.deepEqual(short.structured.chunk_hashes, []);
  });
});
