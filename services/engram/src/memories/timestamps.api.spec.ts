import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';

/** Epoch seconds a Date cannot hold (year ~318,857): the value that used to poison a namespace. */
const TOO_LATE_SECONDS = 1e13;

describe('timestamps outside the valid date range (real api, real SQLite file)', () => {
  const dir = makeTempDir();
  let model: Awaited<ReturnType<typeof startOpenAiEmbeddingsTestDouble>>;
  let api: TestApp;
  let mcp: McpTestClient;
  const env = () => ({
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: model.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
  });
  const total = async () => (await api.request('GET', '/api/memories?page_size=1')).body.total as number;

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16 });
    api = await startTestApp(env(), dir);
    mcp = (await connectHttpClient(api.url)).client;
  });
  after(async () => {
    await mcp.close();
    await api.close();
    await model.close();
  });

  it('REST store answers 400 naming created_at, stores nothing, and the namespace keeps answering', async () => {
    const before = await total();
    const response = await api.request('POST', '/api/memories', {
      body: { content: 'from the far future', created_at: TOO_LATE_SECONDS },
    });
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'validation_error');
    assert.match(response.body.message, /created_at/);
    assert.equal(await total(), before);
    assert.equal((await api.request('POST', '/api/search', { body: { query: 'future' } })).status, 200);
  });

  it('a batch names the item and its field, and stores none of the batch', async () => {
    const before = await total();
    const response = await api.request('POST', '/api/memories/batch', {
      body: { memories: [{ content: 'fine' }, { content: 'not fine', created_at: TOO_LATE_SECONDS }] },
    });
    assert.equal(response.status, 400);
    assert.match(response.body.message, /memories\.1\.created_at/);
    assert.equal(await total(), before);
  });

  it('time filters of list and search refuse bounds past the range with 400 naming them', async () => {
    const list = await api.request('GET', `/api/memories?after=${TOO_LATE_SECONDS}`);
    assert.equal(list.status, 400);
    assert.match(list.body.message, /after/);
    const search = await api.request('POST', '/api/search', { body: { query: 'x', before: TOO_LATE_SECONDS } });
    assert.equal(search.status, 400);
    assert.match(search.body.message, /before/);
  });

  it('the MCP store tool refuses it as a tool error naming created_at', async () => {
    const result = await callTool(mcp, 'memory_store', {
      content: 'from the far future over MCP',
      created_at: TOO_LATE_SECONDS,
    });
    assert.equal(result.isError, true);
    assert.match(result.text, /created_at/);
  });

  it('an import keeps a memory whose export time is unreadable, without its time', async () => {
    const form = new FormData();
    const exported = {
      memories: [{ content: 'imported with a broken date', content_hash: 'x', created_at: 1e20 }],
    };
    form.append('file', new Blob([JSON.stringify(exported)]), 'export.json');
    const queued = await fetch(`${api.url}/api/import`, { method: 'POST', body: form });
    const { job_id: id } = (await queued.json()) as { job_id: string };
    let job: { state: string; result?: { stored: number }; error?: string };
    for (;;) {
      job = (await api.request('GET', `/api/import/${id}`)).body;
      if (['completed', 'failed'].includes(job.state)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(job.state, 'completed', job.error);
    assert.equal(job.result?.stored, 1);
    const listed = await api.request('GET', '/api/memories?page_size=100');
    assert.equal(listed.status, 200);
    assert.ok(listed.body.memories.some((memory: { content: string }) => memory.content.includes('broken date')));
  });

  it('a row an older build stored with such a time is repaired at start-up, and reads answer again', async () => {
    const stored = await api.request('POST', '/api/memories', { body: { content: 'poisoned by an old build' } });
    await api.close({ keepDir: true });
    const db = new Database(join(dir, 'engram.db'));
    db.prepare('UPDATE memories SET created_at = ? WHERE content_hash = ?').run(
      TOO_LATE_SECONDS * 1000,
      stored.body.content_hash,
    );
    // As the build that wrote it left the file: before the repair migration.
    db.prepare('DELETE FROM schema_migrations WHERE name = ?').run('timestamp-repair');
    db.close();

    api = await startTestApp(env(), dir);
    const list = await api.request('GET', '/api/memories?page_size=100');
    assert.equal(list.status, 200);
    const repaired = list.body.memories.find((memory: { content: string }) => memory.content.includes('poisoned'));
    assert.equal(repaired.created_at, repaired.updated_at);
    const search = await api.request('POST', '/api/search', { body: { query: 'poisoned by an old build' } });
    assert.equal(search.status, 200);
    assert.equal(search.body.results[0].memory.content, 'poisoned by an old build');
  });
});
