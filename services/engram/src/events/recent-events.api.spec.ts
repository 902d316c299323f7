import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisKeys } from '../config/redis-keys';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { openSse } from '../testing/sse-client';
import { startTestApp, TestApp } from '../testing/test-app';
import { waitFor } from '../testing/wait-for';
import { STORE_WIDE } from './engram-event';
import { EventBus } from './event-bus';
import { RedisEventRelay } from './redis-event.relay';

describe('GET /api/events/recent: the replay window as history, and where a stream resumes', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp({ ENGRAM_EVENTS_RING_SIZE: '50' });
  });
  after(async () => {
    await api.close();
  });

  const store = (content: string, namespace = 'default') =>
    api.request('POST', '/api/memories', { body: { content }, headers: { 'X-Engram-Namespace': namespace } });

  it("returns this namespace's kept events newest first, never another namespace's", async () => {
    await store('History one');
    await store('Elsewhere', 'other');
    await store('History two');
    const recent = await api.request('GET', '/api/events/recent?limit=10');
    assert.equal(recent.status, 200);
    assert.deepEqual(
      recent.body.events.map((event: { payload: { preview: string } }) => event.payload.preview),
      ['History two', 'History one'],
    );
    assert.ok(recent.body.events.every((event: { namespace: string }) => event.namespace === 'default'));
    const limited = await api.request('GET', '/api/events/recent?limit=1');
    assert.equal(limited.body.events.length, 1);
  });

  it('gives an id from which a stream replays exactly what came after the answer', async () => {
    const { body } = await api.request('GET', '/api/events/recent');
    await store('After the snapshot');
    const stream = await openSse(`${api.url}/api/events/stream?frames=named`, {
      'Last-Event-ID': String(body.last_event_id),
    });
    try {
      const frames = await stream.waitFor((all) => all.length >= 1);
      assert.deepEqual(
        stream.named().map((frame) => frame.data.payload.preview),
        ['After the snapshot'],
      );
      assert.equal(frames[0].event, 'memory_created');
    } finally {
      stream.close();
    }
  });

  it('returns only the types asked for, and the limit counts only them', async () => {
    const bus = api.app.get(EventBus);
    await store('Stored before the deletions');
    for (let i = 1; i <= 30; i++) bus.publish('memory_deleted', { content_hash: `gone-${i}` }, 'default');
    const everything = await api.request('GET', '/api/events/recent?limit=5');
    assert.ok(everything.body.events.every((event: { type: string }) => event.type === 'memory_deleted'));
    const changes = await api.request('GET', '/api/events/recent?limit=1&types=memory_created,job_completed');
    assert.equal(changes.status, 200);
    assert.deepEqual(
      changes.body.events.map((event: { payload: { preview: string } }) => event.payload.preview),
      ['Stored before the deletions'],
    );
    assert.equal(changes.body.last_event_id, everything.body.last_event_id, 'a stream resumes after every kept event');
    const unknown = await api.request('GET', '/api/events/recent?types=memory_created,job_exploded');
    assert.equal(unknown.status, 400);
    assert.match(JSON.stringify(unknown.body), /types/);
  });

  it('sends job progress live but never keeps it, so a long job cannot push changes out of the history or replay', async () => {
    const bus = api.app.get(EventBus);
    const { body: before } = await api.request('GET', '/api/events/recent');
    await store('Stored while a job runs');
    const live = await openSse(`${api.url}/api/events/stream?frames=named&types=job_progress`);
    try {
      for (let i = 1; i <= 200; i++)
        bus.publish('job_progress', { job_id: 'j1', name: 'import', progress: i / 2 }, 'default');
      await live.waitFor((frames) => frames.length === 200);
    } finally {
      live.close();
    }
    const recent = await api.request('GET', '/api/events/recent?limit=500');
    assert.ok(!recent.body.events.some((event: { type: string }) => event.type === 'job_progress'));
    assert.equal(recent.body.events[0].payload.preview, 'Stored while a job runs');
    const replay = await openSse(`${api.url}/api/events/stream?frames=named`, {
      'Last-Event-ID': String(before.last_event_id),
    });
    try {
      await replay.waitFor((frames) => frames.length >= 1);
      const frames = replay.named();
      assert.equal(frames[0].event, 'memory_created', 'the replay is complete: no replay_incomplete notice');
      assert.equal(frames[0].data.payload.preview, 'Stored while a job runs');
    } finally {
      replay.close();
    }
  });

  it('refuses a limit out of range', async () => {
    assert.equal((await api.request('GET', '/api/events/recent?limit=0')).status, 400);
    assert.equal((await api.request('GET', '/api/events/recent?limit=1e2')).status, 400);
  });
});

describe("GET /api/events/recent with Redis: the shared replay windows, each namespace's own", () => {
  let redis: TestRedis;
  let api: TestApp;
  before(async () => {
    redis = await startTestRedis();
    api = await startTestApp({ REDIS_URL: redis.url, ENGRAM_EVENTS_RING_SIZE: '1000' });
  });
  after(async () => {
    await api.close();
    await redis.close();
  });

  const recent = (namespace: string, limit = 10) =>
    api.request('GET', `/api/events/recent?limit=${limit}`, { headers: { 'X-Engram-Namespace': namespace } });

  it("finds a namespace's events however many another has published since, and resumes after its own newest", async () => {
    const bus = api.app.get(EventBus);
    bus.publish('memory_created', { preview: 'mine' }, 'mine');
    for (let i = 0; i < 450; i++) bus.publish('memory_created', { preview: `theirs ${i}` }, 'theirs');
    await waitFor(async () => (await recent('theirs', 1)).body.events[0]?.payload.preview === 'theirs 449');
    const answer = await recent('mine');
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.body.events.map((event: { payload: { preview: string } }) => event.payload.preview),
      ['mine'],
    );
    assert.equal(
      answer.body.last_event_id,
      `${answer.body.events[0].id}-0`,
      "its own newest event (and the store-wide one's: none), never another's",
    );
  });

  it('publishes job progress to every stream but keeps it out of the shared windows', async () => {
    const bus = api.app.get(EventBus);
    bus.publish('memory_created', { preview: 'before the job' }, 'jobs');
    const live = await openSse(`${api.url}/api/events/stream?frames=named&types=job_progress`, {
      'X-Engram-Namespace': 'jobs',
    });
    try {
      for (let i = 1; i <= 100; i++) bus.publish('job_progress', { job_id: 'j2', progress: i }, 'jobs');
      await live.waitFor((frames) => frames.length === 100);
    } finally {
      live.close();
    }
    const kept = (await recent('jobs', 500)).body.events;
    assert.deepEqual(
      kept.map((event: { type: string }) => event.type),
      ['memory_created'],
    );
  });

  it('answers a key bound to no namespace in the order published, page after page, though its two namespaces number their events apart', async () => {
    const bus = api.app.get(EventBus);
    // Another replica whose clock runs a minute ahead: its ids in `paged` lead the store-wide ones by a minute.
    const ahead = new EventBus(
      new RedisEventRelay(
        redis.url,
        api.app.get(RedisKeys),
        { perNamespace: 1000, total: 20_000 },
        { clock: () => Date.now() + 60_000 },
      ),
    );
    try {
      for (let i = 0; i < 150; i++) ahead.publish('memory_created', { preview: `paged ${i}` }, 'paged');
      await waitFor(async () => (await recent('paged', 1)).body.events[0]?.payload.preview === 'paged 149');
      for (let i = 0; i < 150; i++) bus.publish('backup_created', { preview: `store-wide ${i}` }, STORE_WIDE);
      bus.publish('memory_created', { preview: 'paged last' }, 'paged');
      await waitFor(async () => (await recent('paged', 1)).body.events[0]?.payload.preview === 'paged last');
      const answer = await recent('paged', 500);
      const newestFirst = (prefix: string) => Array.from({ length: 150 }, (_, i) => `${prefix} ${149 - i}`);
      assert.deepEqual(
        answer.body.events.slice(0, 301).map((event: { payload: { preview: string } }) => event.payload.preview),
        ['paged last', ...newestFirst('store-wide'), ...newestFirst('paged')],
      );
      assert.equal(
        new Set(answer.body.events.map((event: { id: number; namespace: string }) => `${event.namespace} ${event.id}`))
          .size,
        answer.body.events.length,
        'none twice',
      );
    } finally {
      await ahead.onApplicationShutdown();
    }
  });
});
