import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient } from '../testing/mcp-client';
import { openSse, SseClient } from '../testing/sse-client';
import { startTestApp, TestApp } from '../testing/test-app';

const BOOTSTRAP = 'figures-bootstrap-key-0123456789';

describe('figures about the whole store stay with credentials not bound to a namespace', () => {
  let api: TestApp;
  let bound: string;
  let unbound: string;
  const as = (key: string, extra: Record<string, string> = {}) => ({
    headers: { authorization: `Bearer ${key}`, ...extra },
  });
  const createKey = async (body: Record<string, unknown>) =>
    (await api.request('POST', '/api/admin/keys', { ...as(BOOTSTRAP), body })).body.key as string;

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: BOOTSTRAP });
    // Bound to the default namespace: the one whole-store events used to be announced in.
    bound = await createKey({ name: 'default reader', scopes: ['read'], namespace: 'default' });
    unbound = await createKey({ name: 'operator reader', scopes: ['read'] });
    for (const content of ['team b one', 'team b two', 'team b three']) {
      const stored = await api.request('POST', '/api/memories', {
        ...as(BOOTSTRAP, { 'x-engram-namespace': 'team-b' }),
        body: { content },
      });
      assert.equal(stored.status, 201);
    }
    assert.equal(
      (await api.request('POST', '/api/memories', { ...as(BOOTSTRAP), body: { content: 'default one' } })).status,
      201,
    );
  });
  after(() => api.close());

  it('answers /metrics and /health/ready only to unbound credentials', async () => {
    const metrics = await api.request('GET', '/metrics', as(bound));
    assert.equal(metrics.status, 403);
    assert.match(metrics.body.message, /not bound to a namespace/);
    assert.equal((await api.request('GET', '/health/ready', as(bound))).status, 403);
    const scraped = await api.request('GET', '/metrics', as(unbound));
    assert.equal(scraped.status, 200);
    assert.match(scraped.text, /^engram_memories 4$/m);
  });

  it("reports a bound credential's own namespace in /api/health/detailed and MCP, without store sizes", async () => {
    const mine = await api.request('GET', '/api/health/detailed', as(bound));
    assert.equal(mine.status, 200);
    assert.equal(mine.body.statistics.total_memories, 1);
    assert.equal(mine.body.storage.database_size_bytes, null);
    assert.equal(mine.body.storage.free_disk_bytes, null);
    const operator = await api.request('GET', '/api/health/detailed', as(unbound));
    assert.ok(operator.body.storage.database_size_bytes > 0);

    const { client } = await connectHttpClient(api.url, bound);
    try {
      const stats = await callTool(client, 'memory_stats');
      assert.equal(stats.structured.total_memories, 1);
      assert.equal(stats.structured.database_size_bytes, null);
    } finally {
      await client.close();
    }
  });

  it('streams backup, restore and maintenance job events to unbound credentials only', async () => {
    let boundStream: SseClient | undefined;
    let operatorStream: SseClient | undefined;
    try {
      boundStream = await openSse(`${api.url}/api/events/stream?frames=named`, as(bound).headers);
      operatorStream = await openSse(`${api.url}/api/events/stream?frames=named`, as(unbound).headers);
      const backup = await api.request('POST', '/api/backup/now', as(BOOTSTRAP));
      assert.equal(backup.status, 200, backup.text);
      await operatorStream.waitFor(() => operatorStream!.named().some((frame) => frame.event === 'backup_created'));
      assert.equal(operatorStream.named().find((frame) => frame.event === 'backup_created')!.data.namespace, '*');
      // Events arrive in order: once the bound stream has this later write, it would have had the backup's.
      await api.request('POST', '/api/memories', { ...as(BOOTSTRAP), body: { content: 'written after the backup' } });
      await boundStream.waitFor(() => boundStream!.named().some((frame) => frame.event === 'memory_created'));
      const seen = boundStream.named().map((frame) => frame.event);
      assert.deepEqual(seen, ['memory_created'], `the bound stream received ${seen.join(', ')}`);
    } finally {
      boundStream?.close();
      operatorStream?.close();
    }
  });
});

describe('event streams per credential (ENGRAM_SSE_MAX_CLIENTS_PER_CREDENTIAL)', () => {
  it('caps the streams one credential holds, so it cannot take the slots of others', async () => {
    const api = await startTestApp({
      MCP_API_KEY: BOOTSTRAP,
      ENGRAM_SSE_MAX_CLIENTS: '4',
      ENGRAM_SSE_MAX_CLIENTS_PER_CREDENTIAL: '2',
    });
    const streams: SseClient[] = [];
    try {
      const key = async (name: string) =>
        (
          await api.request('POST', '/api/admin/keys', {
            headers: { 'x-api-key': BOOTSTRAP },
            body: { name, scopes: ['read'] },
          })
        ).body.key;
      const greedy = await key('greedy');
      const other = await key('other');
      const open = async (secret: string) => {
        const stream = await openSse(`${api.url}/api/events/stream`, { 'x-api-key': secret });
        streams.push(stream);
        return stream;
      };
      assert.equal((await open(greedy)).status, 200);
      assert.equal((await open(greedy)).status, 200);
      const third = await open(greedy);
      assert.equal(third.status, 429);
      await third.ended;
      assert.match(third.body, /ENGRAM_SSE_MAX_CLIENTS_PER_CREDENTIAL/);
      assert.equal((await open(other)).status, 200, 'another credential still gets a stream');
      streams[0].close();
      await streams[0].ended;
      const again = await waitForStatus(() => open(greedy), 200);
      assert.equal(again, 200, 'a closed stream frees its slot');
    } finally {
      for (const stream of streams) stream.close();
      await api.close();
    }
  });
});

describe('event streams per namespace (ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE)', () => {
  it("caps the streams of one namespace's keys together, so a tenant with many keys cannot fill the server", async () => {
    const api = await startTestApp({
      MCP_API_KEY: BOOTSTRAP,
      ENGRAM_SSE_MAX_CLIENTS: '6',
      ENGRAM_SSE_MAX_CLIENTS_PER_CREDENTIAL: '2',
      ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE: '3',
    });
    const streams: SseClient[] = [];
    try {
      const key = async (name: string, namespace?: string) =>
        (
          await api.request('POST', '/api/admin/keys', {
            headers: { 'x-api-key': BOOTSTRAP },
            body: { name, scopes: ['read'], ...(namespace ? { namespace } : {}) },
          })
        ).body.key as string;
      const [tenantA1, tenantA2, tenantA3] = [
        await key('a1', 'tenant-a'),
        await key('a2', 'tenant-a'),
        await key('a3', 'tenant-a'),
      ];
      const tenantB = await key('b', 'tenant-b');
      const operator = await key('operator');
      const open = async (secret: string, namespace?: string) => {
        const headers = { 'x-api-key': secret, ...(namespace ? { 'x-engram-namespace': namespace } : {}) };
        const stream = await openSse(`${api.url}/api/events/stream`, headers);
        streams.push(stream);
        return stream;
      };
      for (const secret of [tenantA1, tenantA1, tenantA2]) assert.equal((await open(secret)).status, 200);
      const fourth = await open(tenantA3);
      assert.equal(fourth.status, 429, 'a fresh key of the same namespace shares its streams');
      await fourth.ended;
      const refusal = JSON.parse(fourth.body);
      assert.equal(refusal.error, 'too_many_streams');
      assert.equal(
        refusal.message,
        'The keys of this namespace already hold 3 event streams (ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE); close one first',
      );
      assert.equal((await open(tenantB)).status, 200, 'another namespace still gets a stream');
      // Unbound keys are the operator's: they may follow any namespace and are not counted in it.
      assert.equal((await open(operator, 'tenant-a')).status, 200);
      streams[0].close();
      await streams[0].ended;
      assert.equal(await waitForStatus(() => open(tenantA3), 200), 200, "a closed stream frees its namespace's slot");
    } finally {
      for (const stream of streams) stream.close();
      await api.close();
    }
  });
});

/** The server notices a closed stream when the socket closes; retry until it has. */
async function waitForStatus(open: () => Promise<SseClient>, wanted: number): Promise<number> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const stream = await open();
    if (stream.status === wanted || Date.now() > deadline) return stream.status;
    await stream.ended;
  }
}
