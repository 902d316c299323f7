import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EventBus } from './event-bus';
import { EventStreamService } from './event-stream.service';
import { openSse, SseClient } from '../testing/sse-client';
import { captureStdout } from '../testing/stdout-capture';
import { startTestApp, TestApp } from '../testing/test-app';

const API_KEY = 'events-test-key-0123456789';
const AUTH = { 'X-API-Key': API_KEY };

describe('event stream /api/events/stream (real server, real HTTP client)', () => {
  let api: TestApp;
  const open: SseClient[] = [];
  const connect = async (query = '', headers: Record<string, string> = AUTH) => {
    const client = await openSse(`${api.url}/api/events/stream${query}`, headers);
    open.push(client);
    return client;
  };
  const store = async (body: Record<string, unknown>) => {
    const response = await api.request('POST', '/api/memories', { body, headers: AUTH });
    assert.equal(response.status, 201, response.text);
    return response.body.content_hash as string;
  };

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: API_KEY, ENGRAM_EVENTS_RING_SIZE: '5' });
  });
  after(async () => {
    for (const client of open) client.close();
    await api.close();
  });

  it('sends each change once as a named frame and once as a plain message, type inside data, ids increasing', async () => {
    const client = await connect();
    assert.equal(client.status, 200);
    assert.match(String(client.headers['content-type']), /^text\/event-stream/);
    const long = `The release train leaves every second Tuesday; ${'details '.repeat(40)}`;
    const hash = await store({ content: long, tags: ['release'], memory_type: 'decision' });
    const edited = await api.request('PUT', `/api/memories/${hash}`, {
      body: { tags: ['release', 'ops'] },
      headers: AUTH,
    });
    assert.equal(edited.status, 200);
    assert.equal((await api.request('DELETE', `/api/memories/${hash}`, { headers: AUTH })).status, 200);

    await client.waitFor((frames) => frames.length >= 6);
    const plain = client.frames.filter((frame) => frame.event === undefined).map((frame) => JSON.parse(frame.data));
    const named = client.named();
    assert.deepEqual(
      named.map((frame) => frame.event),
      ['memory_created', 'memory_updated', 'memory_deleted'],
    );
    assert.deepEqual(
      plain.map((data) => data.type),
      ['memory_created', 'memory_updated', 'memory_deleted'],
      'onmessage users get every event too, the type inside data',
    );
    assert.deepEqual(
      client.frames.filter((frame) => frame.event === undefined).map((frame) => frame.id),
      named.map((frame) => frame.id),
      'both frames of an event carry the same id line',
    );
    // A key bound to no namespace: where the stream stands in its namespace, then in the store-wide events.
    assert.deepEqual(
      named.map((frame) => frame.id!.split('-')[0]),
      plain.map((data) => String(data.id)),
    );
    const ids = named.map((frame) => frame.data.id);
    assert.ok(ids[0] < ids[1] && ids[1] < ids[2], `ids increase: ${ids}`);

    const created = named[0].data;
    assert.equal(created.payload.content_hash, hash);
    assert.deepEqual(created.payload.tags, ['release']);
    assert.equal(created.payload.memory_type, 'decision');
    assert.ok(created.payload.preview.startsWith('The release train leaves'));
    assert.ok(created.payload.preview.length <= 120 && created.payload.preview.endsWith('…'));
    assert.equal(created.payload.content, undefined, 'full content is not sent by default');
    assert.match(created.timestamp, /^\d{4}-\d{2}-\d{2}T/);
    assert.deepEqual(named[1].data.payload.tags, ['ops', 'release']);
    assert.equal(named[2].data.payload.hard, false);
  });

  it('announces a batch once per stored memory, duplicates not at all', async () => {
    const client = await connect('?frames=named');
    const response = await api.request('POST', '/api/memories/batch', {
      body: {
        memories: [{ content: 'batch event one' }, { content: 'batch event two' }, { content: 'batch event one' }],
      },
      headers: AUTH,
    });
    assert.equal(response.body.stored, 2);
    await client.waitFor((frames) => frames.length >= 2);
    await store({ content: 'a marker after the batch' });
    await client.waitFor((frames) => frames.length >= 3);
    assert.deepEqual(
      client.named().map((frame) => frame.data.payload.preview),
      ['batch event one', 'batch event two', 'a marker after the batch'],
    );
  });

  it('replays what a client missed from Last-Event-ID (header or query), and says when the ring lost some', async () => {
    const first = await connect('?frames=named');
    await store({ content: 'replay: before the disconnect' });
    const [seen] = await first.waitFor((frames) => frames.length >= 1);
    first.close();
    await store({ content: 'replay: missed one' });
    await store({ content: 'replay: missed two' });

    const byHeader = await connect('?frames=named', { ...AUTH, 'Last-Event-ID': seen.id! });
    const byQuery = await connect(`?frames=named&last_event_id=${seen.id}`);
    for (const client of [byHeader, byQuery]) {
      await client.waitFor((frames) => frames.length >= 2);
      assert.deepEqual(
        client.named().map((frame) => frame.data.payload.preview),
        ['replay: missed one', 'replay: missed two'],
      );
    }

    for (let i = 0; i < 6; i++) await store({ content: `replay: overflow ${i}` }); // ring keeps 5
    const late = await connect('?frames=named', { ...AUTH, 'Last-Event-ID': seen.id! });
    await late.waitFor((frames) => frames.length >= 6);
    assert.equal(late.named()[0].event, 'replay_incomplete');
    assert.deepEqual(
      late
        .named()
        .slice(1)
        .map((frame) => frame.data.payload.preview),
      ['replay: overflow 1', 'replay: overflow 2', 'replay: overflow 3', 'replay: overflow 4', 'replay: overflow 5'],
    );
  });

  it('filters by event type and by tag', async () => {
    const deletes = await connect('?frames=named&types=memory_deleted');
    const tagged = await connect('?frames=named&tags=Work');
    const everything = await connect('?frames=named');
    const work = await store({ content: 'filters: a work memory', tags: ['work'] });
    await store({ content: 'filters: a home memory', tags: ['home'] });
    await api.request('DELETE', `/api/memories/${work}?hard=true`, { headers: AUTH });
    await everything.waitFor((frames) => frames.length >= 3);
    await deletes.waitFor((frames) => frames.length >= 1);
    await tagged.waitFor((frames) => frames.length >= 2);
    assert.deepEqual(
      deletes.named().map((frame) => [frame.event, frame.data.payload.hard]),
      [['memory_deleted', true]],
    );
    assert.deepEqual(
      tagged.named().map((frame) => frame.event),
      ['memory_created', 'memory_deleted'],
    );
    assert.ok(tagged.named().every((frame) => frame.data.payload.tags.includes('work')));
  });

  it('refuses a stream without the key, and accepts ?api_key= on the stream only', async () => {
    const anonymous = await connect('', {});
    assert.equal(anonymous.status, 401);
    assert.equal(JSON.parse(anonymous.body).error, 'unauthorized');
    assert.equal((await connect(`?api_key=${API_KEY}x`, {})).status, 401);
    const viaQuery = await connect(`?api_key=${encodeURIComponent(API_KEY)}`, {});
    assert.equal(viaQuery.status, 200);
    const alias = await openSse(`${api.url}/api/events?api_key=${API_KEY}&frames=message`, {});
    open.push(alias);
    assert.equal(alias.status, 200);
    await store({ content: 'both paths serve the same stream' });
    const [frame] = await alias.waitFor((frames) => frames.length >= 1);
    assert.equal(frame.event, undefined);
    assert.equal(JSON.parse(frame.data).type, 'memory_created');
    const query = await api.request('GET', `/api/memories?api_key=${API_KEY}`);
    assert.equal(query.status, 401, 'other routes never take the key from the query string');
  });

  it('streams only the events of the caller’s namespace', async () => {
    const created = await api.request('POST', '/api/admin/keys', {
      body: { name: 'team stream', scopes: ['write'], namespace: 'team-s' },
      headers: AUTH,
    });
    const teamKey = { 'X-API-Key': created.body.key };
    const team = await connect('?frames=named', teamKey);
    const everyone = await connect('?frames=named');
    const teamWrite = await api.request('POST', '/api/memories', {
      body: { content: 'team-s only' },
      headers: teamKey,
    });
    assert.equal(teamWrite.status, 201);
    await store({ content: 'default namespace only' });
    const [teamEvent] = await team.waitFor((frames) => frames.length >= 1);
    const [defaultEvent] = await everyone.waitFor((frames) => frames.length >= 1);
    assert.equal(JSON.parse(teamEvent.data).payload.content_hash, teamWrite.body.content_hash);
    assert.equal(JSON.parse(defaultEvent.data).namespace, 'default');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(team.frames.length, 1, 'the default write never reached the team stream');
    assert.equal(everyone.frames.length, 1, 'the team write never reached the default stream');
  });

  it('answers 400 JSON for a bad filter, frame style or Last-Event-ID', async () => {
    for (const [query, headers] of [
      ['?types=memory_exploded', AUTH],
      ['?frames=xml', AUTH],
      ['?last_event_id=-3', AUTH],
      ['?last_event_id=1-2-3', AUTH],
      ['', { ...AUTH, 'Last-Event-ID': 'yesterday' }],
      ['?unknown=1', AUTH],
    ] as const) {
      const refused = await connect(query, headers);
      assert.equal(refused.status, 400, `${query} ${JSON.stringify(headers)}`);
      assert.equal(JSON.parse(refused.body).error, 'validation_error');
    }
  });

  it('counts open streams and published events in /metrics', async () => {
    const createdBefore = metricValue(await scrape(), 'engram_events_total{type="memory_created"}');
    const streamsBefore = metricValue(await scrape(), 'engram_sse_clients');
    const client = await connect('?frames=named');
    assert.equal(metricValue(await scrape(), 'engram_sse_clients'), streamsBefore + 1);
    await store({ content: 'metrics: one more memory' });
    await client.waitFor((frames) => frames.length >= 1);
    assert.equal(metricValue(await scrape(), 'engram_events_total{type="memory_created"}'), createdBefore + 1);
    client.close();
    await client.ended;
    await waitUntil(async () => metricValue(await scrape(), 'engram_sse_clients') === streamsBefore);
  });

  async function scrape(): Promise<string> {
    return (await api.request('GET', '/metrics', { headers: AUTH })).text;
  }
});

describe('event stream protection and shutdown', () => {
  it('drops a client that stops reading once its unread bytes pass the limit, and keeps serving the others', async () => {
    const api = await startTestApp({ MCP_API_KEY: API_KEY, ENGRAM_SSE_CLIENT_BUFFER_BYTES: '65536' });
    const healthy = await openSse(`${api.url}/api/events/stream?frames=named`, AUTH);
    try {
      const stalled = await stalledStream(api.url);
      const bus = api.app.get(EventBus);
      const filler = 'x'.repeat(16 * 1024);
      let published = 0;
      // Lockstep with the reading client, so only the stalled one falls behind.
      const streams = api.app.get(EventStreamService);
      assert.equal(streams.openStreams, 2);
      while (streams.openStreams > 1 && published < 2000) {
        bus.publish('job_progress', { job_id: `job-${published}`, note: filler }, 'default');
        published++;
        await healthy.waitFor((frames) => frames.length === published);
      }
      assert.equal(streams.openStreams, 1, `the stalled client was never dropped after ${published} events`);
      stalled.resume(); // it drains what was sent before the drop, then sees the connection end
      await stalled.closed;
      bus.publish('job_completed', { job_id: 'last' }, 'default');
      await healthy.waitFor((frames) => frames.length === published + 1);
      assert.equal(healthy.frames.at(-1)!.event, 'job_completed', 'the reading client got every event');
      const metrics = await api.request('GET', '/metrics', { headers: AUTH });
      assert.equal(metricValue(metrics.text, 'engram_sse_clients'), 1);
      assert.equal(metricValue(metrics.text, 'engram_sse_clients_dropped_total'), 1, 'the drop is counted');
    } finally {
      healthy.close();
      await api.close();
    }
  });

  it('ends open streams on shutdown so the server closes promptly', async () => {
    const api = await startTestApp({ MCP_API_KEY: API_KEY });
    const client = await openSse(`${api.url}/api/events/stream`, AUTH);
    const closing = api.close();
    await client.ended;
    await closing;
  });

  it('writes a heartbeat comment every ENGRAM_SSE_HEARTBEAT_SECONDS', async () => {
    const api = await startTestApp({ MCP_API_KEY: API_KEY, ENGRAM_SSE_HEARTBEAT_SECONDS: '1' });
    const client = await openSse(`${api.url}/api/events/stream`, AUTH);
    try {
      const heartbeats = () => client.comments.filter((comment) => comment === 'heartbeat').length;
      await client.waitFor(() => heartbeats() >= 2, 10_000);
      assert.equal(client.frames.length, 0, 'heartbeats dispatch no message');
    } finally {
      client.close();
      await api.close();
    }
  });

  it('never writes the query-string key to the logs', async () => {
    const text = await captureStdout(async () => {
      const api = await startTestApp({ MCP_API_KEY: API_KEY, LOG_LEVEL: 'debug' });
      const client = await openSse(`${api.url}/api/events/stream?api_key=${API_KEY}`, {});
      assert.equal(client.status, 200);
      client.close();
      await client.ended;
      const refused = await openSse(`${api.url}/api/events/stream?api_key=wrong-${API_KEY}`, {});
      assert.equal(refused.status, 401);
      await api.close();
    });
    assert.match(text, /"route":"\/api\/events\/stream"/, 'the stream requests were logged');
    assert.ok(!text.includes(API_KEY), 'the key appears in the logs');
  });
});

interface StalledStream {
  resume(): void;
  closed: Promise<void>;
}

/** A stream whose client sends the request and then never reads another byte. */
async function stalledStream(baseUrl: string): Promise<StalledStream> {
  const { hostname, port } = new URL(baseUrl);
  const socket = new Socket();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.connect(Number(port), hostname, resolve));
  socket.write(
    `GET /api/events/stream?frames=named HTTP/1.1\r\nHost: ${hostname}\r\nX-API-Key: ${API_KEY}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.pause();
  socket.on('error', () => undefined);
  return { resume: () => socket.resume(), closed };
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
