import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { RunningEngram as Running, serviceHelper, startEngram } from './engram-cli';
import { E2eStorage, e2eStorages } from './e2e-storage';
import { call, namespaceKey, tempDir } from './process-harness';

const { startTestRedis } = serviceHelper('testing/redis-server.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { openSse, positionsRise } = serviceHelper('testing/sse-client.js');

const API_KEY = 'e2e-events-key-0123456789abcdef';
const AUTH = { 'X-API-Key': API_KEY };

for (const storage of e2eStorages()) {
  describe(`events across processes: two api replicas and a worker of one store (${storage.name}) on one redis-server`, () =>
    eventsAcrossProcesses(storage));
}

function eventsAcrossProcesses(storage: E2eStorage): void {
  const dir = tempDir();
  let storageEnv: Record<string, string>;
  let redis: any;
  let model: any;
  let apiA: Running;
  let apiB: Running;
  let worker: Running;
  const clients: any[] = [];
  let apiEnv: Record<string, string>;
  const storeEnv = () => ({ ...apiEnv, ...storageEnv });
  const startReplica = () => startEngram('serve', storeEnv(), dir, 'Engram ready');

  before(async () => {
    storageEnv = await storage.start(dir);
    redis = await startTestRedis();
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'events-model' });
    apiEnv = {
      REDIS_URL: redis.url,
      MCP_API_KEY: API_KEY,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    };
    // Replicas of one deployment: the same store, so the same Redis prefix.
    [apiA, apiB] = await Promise.all([startReplica(), startReplica()]);
    worker = await startEngram('worker', storeEnv(), dir, 'Engram worker ready');
  });
  after(async () => {
    for (const client of clients) client.close();
    await Promise.all([apiA, apiB, worker].filter(Boolean).map((process) => process.stop()));
    await model?.close();
    await redis?.close();
    await storage.stop();
  });

  it('delivers a change raised in either api, through MCP, or in the worker to every stream exactly once, ids rising', async () => {
    const onA = await openSse(`${apiA.url}/api/events/stream?frames=named&api_key=${API_KEY}`, {});
    const onB = await openSse(`${apiB.url}/api/events/stream?frames=named`, AUTH);
    clients.push(onA, onB);
    assert.equal(onA.status, 200);
    assert.equal(onB.status, 200);
    const created = (client: any) =>
      client
        .named()
        .filter((frame: any) => frame.event === 'memory_created')
        .map((frame: any) => frame.data.payload.preview);
    const seenEverywhere = (count: number) =>
      Promise.all([onA, onB].map((client) => client.waitFor(() => created(client).length >= count)));

    assert.equal((await call(apiB.url, 'POST', '/api/memories', { content: 'written on api B' }, AUTH)).status, 201);
    await seenEverywhere(1);
    assert.equal((await call(apiA.url, 'POST', '/api/memories', { content: 'written on api A' }, AUTH)).status, 201);
    await seenEverywhere(2);
    const mcp = new Client({ name: 'engram-events-e2e', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', apiA.url), {
        requestInit: { headers: { Authorization: `Bearer ${API_KEY}` } },
      }),
    );
    try {
      const stored = await mcp.callTool({ name: 'memory_store', arguments: { content: 'written through MCP' } });
      assert.notEqual(stored.isError, true, JSON.stringify(stored));
    } finally {
      await mcp.close();
    }
    await seenEverywhere(3);

    const backup = await call(apiA.url, 'POST', '/api/admin/backup', undefined, AUTH);
    assert.equal(backup.status, 202, JSON.stringify(backup.body));
    const jobDone = (client: any) =>
      client
        .named()
        .some((frame: any) => frame.event === 'job_completed' && frame.data.payload.job_id === backup.body.job_id);
    await Promise.all([onA, onB].map((client) => client.waitFor(() => jobDone(client), 60_000)));
    // Total order: a duplicate of anything above would arrive before this marker.
    assert.equal((await call(apiB.url, 'POST', '/api/memories', { content: 'the marker' }, AUTH)).status, 201);
    await seenEverywhere(4);

    for (const client of [onA, onB]) {
      assert.deepEqual(created(client), ['written on api B', 'written on api A', 'written through MCP', 'the marker']);
      // A key bound to no namespace: ids of its namespace and of the whole store's events, joined by '-'.
      const ids = client.named().map((frame: any) => frame.id);
      assert.ok(positionsRise(ids), `ids rise: ${ids}`);
      const completions = client.named().filter((frame: any) => frame.event === 'job_completed');
      assert.equal(completions.length, 1, 'the worker announced its job once');
    }
    assert.deepEqual(
      onA.named().map((frame: any) => frame.id),
      onB.named().map((frame: any) => frame.id),
      'both api processes stream the same events with the same ids',
    );
    assert.match(worker.output(), /Engram worker ready/);
  });

  it('replays what a client missed from any replica, one that started after those events too: each once, in order', async () => {
    const onA = await openSse(`${apiA.url}/api/events/stream?frames=named`, AUTH);
    clients.push(onA);
    const previews = (client: any) =>
      client
        .named()
        .filter((frame: any) => frame.event === 'memory_created')
        .map((frame: any) => frame.data.payload.preview);
    assert.equal((await call(apiA.url, 'POST', '/api/memories', { content: 'seen before leaving' }, AUTH)).status, 201);
    await onA.waitFor(() => previews(onA).includes('seen before leaving'));
    const lastSeen = onA.named().at(-1).id;
    onA.close();
    for (const content of ['missed one', 'missed two']) {
      assert.equal((await call(apiA.url, 'POST', '/api/memories', { content }, AUTH)).status, 201);
    }
    // This replica was not running when the two were published: only the shared log has them.
    const apiC = await startReplica();
    try {
      const resumed = await openSse(`${apiC.url}/api/events/stream?frames=named`, {
        ...AUTH,
        'Last-Event-ID': lastSeen,
      });
      clients.push(resumed);
      await resumed.waitFor(() => previews(resumed).length >= 2);
      assert.equal(
        (await call(apiB.url, 'POST', '/api/memories', { content: 'live after the replay' }, AUTH)).status,
        201,
      );
      await resumed.waitFor(() => previews(resumed).includes('live after the replay'));
      assert.deepEqual(previews(resumed), ['missed one', 'missed two', 'live after the replay']);
      assert.equal(
        resumed.named().some((frame: any) => frame.event === 'replay_incomplete'),
        false,
        'nothing was trimmed',
      );
      const ids = [lastSeen, ...resumed.named().map((frame: any) => frame.id)];
      assert.ok(positionsRise(ids), `${ids}`);
    } finally {
      await apiC.stop();
    }
  });
  it("shows every replica's recent events on a replica started after them, each namespace only its own", async () => {
    const keyFor = (namespace: string) => namespaceKey(apiA.url, namespace, AUTH);
    const [red, blue] = [await keyFor('team-red'), await keyFor('team-blue')];
    assert.equal((await call(apiA.url, 'POST', '/api/memories', { content: 'red plan' }, red)).status, 201);
    assert.equal((await call(apiB.url, 'POST', '/api/memories', { content: 'blue plan' }, blue)).status, 201);
    // Started after both writes: its own ring never saw them; only the shared log has them.
    const apiC = await startReplica();
    try {
      const recentOn = async (url: string, headers: Record<string, string>) => {
        const response = await call(url, 'GET', '/api/events/recent?limit=500', undefined, headers);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        return response.body.events as { namespace: string; type: string; payload: { preview?: string } }[];
      };
      const onC = await recentOn(apiC.url, red);
      assert.deepEqual(
        onC.filter((event) => event.type === 'memory_created').map((event) => event.payload.preview),
        ['red plan'],
      );
      assert.ok(
        onC.every((event) => event.namespace === 'team-red'),
        JSON.stringify(onC),
      );
      assert.deepEqual(await recentOn(apiA.url, red), onC, 'every replica shows the same history');
      const blueOnC = await recentOn(apiC.url, blue);
      assert.deepEqual(
        blueOnC.map((event) => event.payload.preview),
        ['blue plan'],
      );
      const onDefault = (await recentOn(apiC.url, AUTH)).map((event) => event.payload.preview);
      assert.ok(onDefault.includes('written on api A'), 'the default namespace keeps its own history');
      assert.ok(!onDefault.includes('red plan') && !onDefault.includes('blue plan'), JSON.stringify(onDefault));
    } finally {
      await apiC.stop();
    }
  });
}
