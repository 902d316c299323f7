import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { startTestApp, TestApp } from '../testing/test-app';

const ADMIN = 'export-admin-key-0123456789';

describe('GET /api/export and its import (real api on loopback, real SQLite)', () => {
  let source: TestApp;
  let target: TestApp;
  let model: Awaited<ReturnType<typeof startOpenAiEmbeddingsTestDouble>>;
  const auth = { authorization: `Bearer ${ADMIN}` };
  const inNamespace = (namespace: string) => ({ headers: { ...auth, 'x-engram-namespace': namespace } });

  async function exported(query = '', key = ADMIN) {
    const response = await fetch(`${source.url}/api/export${query}`, { headers: { authorization: `Bearer ${key}` } });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), text };
  }
  const linesOf = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

  async function importInto(app: TestApp, text: string, namespace = 'default') {
    const form = new FormData();
    form.append('file', new Blob([text]), 'engram-export.ndjson');
    const response = await fetch(`${app.url}/api/import`, {
      method: 'POST',
      body: form,
      headers: inNamespace(namespace).headers,
    });
    const queued = (await response.json()) as any;
    assert.equal(response.status, 202, JSON.stringify(queued));
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      const job = await app.request('GET', `/api/import/${queued.job_id}`, inNamespace(namespace));
      if (['completed', 'failed'].includes(job.body.state)) return job.body;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.fail('the import did not finish');
  }

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'export-model' });
    const env = {
      MCP_API_KEY: ADMIN,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    };
    [source, target] = await Promise.all([startTestApp(env), startTestApp(env)]);
    const store = (namespace: string, body: unknown) =>
      source.request('POST', '/api/memories', { ...inNamespace(namespace), body });
    for (const [namespace, body] of [
      ['team', { content: 'The office moved to Leeds', tags: ['place'], memory_type: 'fact', metadata: { by: 'ann' } }],
      ['team', { content: 'Deploys happen on Tuesdays', tags: ['ops', 'schedule'] }],
      ['other', { content: 'A note of another team' }],
    ] as const) {
      assert.equal((await store(namespace, body)).status, 201);
    }
    const office = await source.request('GET', '/api/memories?page_size=10', inNamespace('team'));
    const leeds = office.body.memories.find((m: any) => m.content.includes('Leeds'));
    const superseded = await source.request('POST', `/api/memories/${leeds.content_hash}/supersede`, {
      ...inNamespace('team'),
      body: { content: 'The office moved to York' },
    });
    assert.equal(superseded.status, 201, superseded.text);
  });
  after(async () => {
    await source?.close();
    await target?.close();
    await model?.close();
  });

  it('streams a header, every live memory of every namespace in order, and an end line with count and SHA-256', async () => {
    const { status, type, text } = await exported();
    assert.equal(status, 200);
    assert.match(type ?? '', /^application\/x-ndjson/);
    const [header, ...rest] = linesOf(text);
    const end = rest.pop();
    assert.deepEqual(
      [header.format, header.version, header.namespace, header.embedding_model],
      ['engram-export', 1, null, null],
    );
    assert.deepEqual(
      rest.map((memory) => [memory.namespace, memory.content]),
      [
        ['team', 'The office moved to Leeds'],
        ['team', 'Deploys happen on Tuesdays'],
        ['other', 'A note of another team'],
        ['team', 'The office moved to York'],
      ],
    );
    const leeds = rest[0];
    assert.deepEqual([leeds.memory_type, leeds.tags, leeds.metadata], ['fact', ['place'], { by: 'ann' }]);
    assert.equal(leeds.superseded_by, rest[3].content_hash);
    assert.equal(rest[3].supersedes, leeds.content_hash);
    assert.equal('embedding' in leeds, false, 'no vectors unless asked');
    const { createHash } = await import('node:crypto');
    const memoryLines = text
      .split('\n')
      .slice(1, -2)
      .map((line) => `${line}\n`)
      .join('');
    assert.deepEqual(end, {
      format: 'engram-export-end',
      memories: 4,
      sha256: createHash('sha256').update(memoryLines).digest('hex'),
    });
  });

  it('exports one namespace, with vectors and the model they belong to when asked', async () => {
    const lines = linesOf((await exported('?namespace=other&vectors=true')).text);
    assert.deepEqual(lines[0].embedding_model, { id: 'openai:export-model', dimension: 16 });
    assert.equal(lines[0].namespace, 'other');
    assert.deepEqual(
      lines.slice(1, -1).map((memory) => memory.content),
      ['A note of another team'],
    );
    assert.equal(lines[1].embedding.length, 16);
    assert.ok(lines[1].embedding.every((value: unknown) => typeof value === 'number'));
    assert.equal(lines.at(-1).memories, 1);
  });

  it('refuses bad parameters with a 400 naming them, and any credential below admin', async () => {
    const bad = await exported('?namespace=Not%20A%20Namespace');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /namespace/);
    assert.equal((await exported('?vectors=yes')).status, 400);
    assert.equal((await exported('?format=csv')).status, 400);
    const created = await source.request('POST', '/api/admin/keys', {
      headers: auth,
      body: { name: 'writer', scopes: ['write'] },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal((await exported('', created.body.key)).status, 403);
    const anonymous = await fetch(`${source.url}/api/export`);
    assert.equal(anonymous.status, 401);
  });

  it('imports into another store: current memories with their tags, type, metadata and times; older versions skipped', async () => {
    const { text } = await exported('?namespace=team');
    const job = await importInto(target, text, 'team');
    assert.equal(job.state, 'completed', JSON.stringify(job));
    assert.deepEqual([job.result.source, job.result.stored, job.result.failed], ['engram', 2, 0]);
    const listed = await target.request('GET', '/api/memories?page_size=10&order=oldest', inNamespace('team'));
    const original = linesOf(text).slice(1, -1);
    assert.deepEqual(
      listed.body.memories.map((m: any) => [m.content, m.tags, m.memory_type, m.created_at]).sort(),
      original
        .filter((m: any) => m.superseded_by === null)
        .map((m: any) => [m.content, m.tags, m.memory_type, m.created_at / 1000])
        .sort(),
    );
    const again = await importInto(target, text, 'team');
    assert.deepEqual([again.result.stored, again.result.duplicates], [0, 2], 'a second import stores nothing');
  });

  it('reports an export that was cut short or altered, after importing what it could read', async () => {
    const { text } = await exported('?namespace=other');
    const lines = text.trim().split('\n');
    const cut = await importInto(target, `${lines.slice(0, -1).join('\n')}\n`, 'cut');
    assert.equal(cut.result.stored, 1);
    assert.match(JSON.stringify(cut.result.failures), /no end line/);
    const altered = lines.map((line, i) => (i === 1 ? line.replace('another team', 'an altered team') : line));
    const changed = await importInto(target, `${altered.join('\n')}\n`, 'altered');
    assert.match(JSON.stringify(changed.result.failures), /altered/);
  });
});
