import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunningEngram as Running, serviceHelper, startEngram } from './engram-cli';
import { call, namespaceKey, tempDir } from './process-harness';

const { realPostgresAvailable, startRealPostgres } = serviceHelper('testing/real-postgres.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { openSse, positionsRise } = serviceHelper('testing/sse-client.js');

const BOOTSTRAP = 'e2e-pg-events-bootstrap-key-0123456789';
const ADMIN = { 'X-API-Key': BOOTSTRAP };

const previews = (client: any) =>
  client
    .named()
    .filter((frame: any) => frame.event === 'memory_created')
    .map((frame: any) => frame.data.payload.preview);

/**
 * Two api replicas of one store on one real PostgreSQL and no Redis: events travel between them through the
 * database (LISTEN/NOTIFY), and replays read the windows it keeps. A real server, as each replica needs
 * sessions of its own (PGlite serves every connection on one); without one the file registers nothing.
 */
if (realPostgresAvailable()) {
  describe('events across api replicas on PostgreSQL without Redis (real processes, real server)', () => {
    const dir = tempDir();
    let postgres: any;
    let model: any;
    let env: Record<string, string>;
    let apiA: Running;
    let apiB: Running;
    const clients: any[] = [];

    const store = async (url: string, content: string, headers: Record<string, string> = ADMIN) => {
      const stored = await call(url, 'POST', '/api/memories', { content }, headers);
      assert.equal(stored.status, 201, JSON.stringify(stored.body));
    };
    const keyFor = (namespace: string) => namespaceKey(apiA.url, namespace, ADMIN);
    const stream = async (url: string, headers: Record<string, string>) => {
      const client = await openSse(`${url}/api/events/stream?frames=named`, headers);
      clients.push(client);
      assert.equal(client.status, 200, client.body);
      return client;
    };

    before(async () => {
      [postgres, model] = await Promise.all([
        startRealPostgres(),
        startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'pg-events-model' }),
      ]);
      env = {
        MCP_MEMORY_STORAGE_BACKEND: 'postgres',
        DATABASE_URL: postgres.url,
        MCP_API_KEY: BOOTSTRAP,
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
      };
      [apiA, apiB] = await Promise.all([
        startEngram('serve', env, dir, 'Engram ready'),
        startEngram('serve', env, tempDir(), 'Engram ready'),
      ]);
    });
    after(async () => {
      for (const client of clients) client.close();
      await Promise.all([apiA, apiB].filter(Boolean).map((api) => api.stop()));
      await model?.close();
      await postgres?.close();
    });

    it("shows a memory created through one replica on the other's stream, each event once and ids rising", async () => {
      const onA = await stream(apiA.url, ADMIN);
      const onB = await stream(apiB.url, ADMIN);
      await store(apiA.url, 'written on api A');
      await store(apiB.url, 'written on api B');
      await store(apiA.url, 'the marker');
      for (const client of [onA, onB]) {
        await client.waitFor(() => previews(client).includes('the marker'), 30_000);
        assert.deepEqual(previews(client), ['written on api A', 'written on api B', 'the marker']);
        const ids = client.named().map((frame: any) => frame.id);
        assert.ok(positionsRise(ids), `ids rise: ${ids}`);
      }
      assert.deepEqual(
        onA.named().map((frame: any) => frame.id),
        onB.named().map((frame: any) => frame.id),
        'both replicas stream the same events with the same ids',
      );
    });

    it("replays on one replica what a client missed of the other's, from its Last-Event-ID, then goes live", async () => {
      const onA = await stream(apiA.url, ADMIN);
      await store(apiA.url, 'seen before leaving');
      await onA.waitFor(() => previews(onA).includes('seen before leaving'), 30_000);
      const lastSeen = onA.named().at(-1).id;
      onA.close();
      await store(apiA.url, 'missed one');
      await store(apiA.url, 'missed two');
      const resumed = await stream(apiB.url, { ...ADMIN, 'Last-Event-ID': lastSeen });
      await resumed.waitFor(() => previews(resumed).length >= 2, 30_000);
      await store(apiA.url, 'live after the replay');
      await resumed.waitFor(() => previews(resumed).includes('live after the replay'), 30_000);
      assert.deepEqual(previews(resumed), ['missed one', 'missed two', 'live after the replay']);
      const frames = resumed.named();
      assert.deepEqual(
        frames.map((frame: any) => frame.event),
        ['memory_created', 'memory_created', 'memory_created'],
        'no replay_incomplete notice: nothing was trimmed',
      );
      assert.ok(positionsRise([lastSeen, ...frames.map((frame: any) => frame.id)]), JSON.stringify(frames));
    });

    it("keeps each namespace's events to its own keys, live, replayed and in the recent history of either replica", async () => {
      const [red, blue] = [await keyFor('team-red'), await keyFor('team-blue')];
      const redOnB = await stream(apiB.url, red);
      await store(apiA.url, 'blue plan', blue);
      await store(apiA.url, 'red plan', red);
      await store(apiA.url, 'default plan');
      await redOnB.waitFor(() => previews(redOnB).includes('red plan'), 30_000);
      await store(apiA.url, 'red marker', red);
      await redOnB.waitFor(() => previews(redOnB).includes('red marker'), 30_000);
      assert.deepEqual(previews(redOnB), ['red plan', 'red marker']);
      assert.ok(
        redOnB.named().every((frame: any) => frame.data.namespace === 'team-red'),
        JSON.stringify(redOnB.named()),
      );

      const replayed = await stream(apiB.url, { ...red, 'Last-Event-ID': '0' });
      await replayed.waitFor(() => previews(replayed).includes('red marker'), 30_000);
      assert.deepEqual(previews(replayed), ['red plan', 'red marker'], 'a replay of everything kept is its own');

      for (const api of [apiA, apiB]) {
        const recent = await call(api.url, 'GET', '/api/events/recent?limit=500', undefined, blue);
        assert.equal(recent.status, 200, JSON.stringify(recent.body));
        assert.deepEqual(
          recent.body.events.map((event: any) => event.payload.preview),
          ['blue plan'],
          'every replica shows the same history, the namespace its own',
        );
      }
    });
  });
}
