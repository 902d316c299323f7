import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { AddressInfo, connect, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { loadConfig } from '../config/config.loader';
import { RedisKeys } from '../config/redis-keys';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { EngramEvent } from './engram-event';
import { seenUpTo } from './event-cursor';
import { EventBus } from './event-bus';
import { LostEvents } from './event-relay';
import { RedisEventRelay } from './redis-event.relay';
import { EngramMetrics } from '../metrics/engram-metrics';
import { droppedRemembered, SMALLEST_WINDOW } from './replay-windows';
import { EventStreamService } from './event-stream.service';

const KEYS = new RedisKeys('engram-test');
/** Replay windows of `perNamespace` events each, ten times that in all. */
const windowsOf = (perNamespace: number) => ({ perNamespace, total: perNamespace * 10 });

/** One process's view: its bus on the shared Redis, and every event it has received. */
async function processOn(url: string, keys = KEYS, bounds = windowsOf(100)) {
  const bus = new EventBus(new RedisEventRelay(url, keys, bounds));
  const received: EngramEvent[] = [];
  bus.subscribe((event) => received.push(event));
  await bus.ready();
  return { bus, received };
}

async function subscriberConnections(url: string): Promise<number> {
  const admin = new Redis(url);
  try {
    const clients = (await admin.client('LIST')) as string;
    return clients.split('\n').filter((line) => line.includes('name=engram-events-subscriber')).length;
  } finally {
    admin.disconnect();
  }
}

/** Whether the channel has `count` active subscriptions (a connection that is back but not yet resubscribed has none). */
async function subscribed(url: string, count: number): Promise<boolean> {
  const admin = new Redis(url);
  try {
    const [, subscriptions] = (await admin.pubsub('NUMSUB', KEYS.eventsChannel)) as [string, number];
    return subscriptions === count;
  } finally {
    admin.disconnect();
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A Redis user of its own for one process, whose connections can be cut: `cut` disables the user and ends its
 * connections, so each reconnection is refused (as Redis being away is, to that process alone), `readmit` lets it in.
 */
async function redisUser(url: string, name: string) {
  const admin = new Redis(url);
  await admin.acl('SETUSER', name, 'reset', 'on', '>secret', '~*', '&*', '+@all');
  const { port } = new URL(url);
  return {
    url: `redis://${name}:secret@127.0.0.1:${port}`,
    async cut() {
      await admin.acl('SETUSER', name, 'off');
      await admin.client('KILL', 'USER', name);
    },
    async readmit() {
      await admin.acl('SETUSER', name, 'on');
    },
    async remove() {
      await admin.acl('DELUSER', name);
      admin.disconnect();
    },
  };
}

/** A listening process that also records the losses it is told of. */
async function listenerOn(url: string, keys: RedisKeys) {
  const bus = new EventBus(new RedisEventRelay(url, keys, windowsOf(100)));
  const received: EngramEvent[] = [];
  const lost: LostEvents[] = [];
  bus.subscribe(
    (event) => received.push(event),
    (loss) => lost.push(loss as LostEvents), // Redis stores no loss everywhere
  );
  await bus.ready();
  return { bus, received, lost };
}

/**
 * A TCP link to Redis that can hold back Redis's answers and be cut, as a network failing part-way does: what
 * the client sent still runs, and its connection dies before the answers arrive.
 */
async function linkTo(port: number) {
  const sockets = new Set<Socket>();
  let holdingAnswers = false;
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.on('data', (data) => upstream.write(data));
    upstream.on('data', (data) => {
      if (!holdingAnswers) client.write(data);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    holdingAnswers = false;
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    holdAnswers: () => (holdingAnswers = true),
    cut,
    close: () => {
      cut();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The error replies Redis has sent since it started (INFO stats). */
async function errorReplies(admin: Redis): Promise<number> {
  return Number(/total_error_replies:(\d+)/.exec(await admin.info('stats'))![1]);
}

describe('events across processes through Redis pub/sub (real redis-server)', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await redis.close();
  });

  it('delivers every event of every process exactly once to each, ids increasing in the same order everywhere', async () => {
    const api = await processOn(redis.url);
    const worker = await processOn(redis.url);
    try {
      for (let i = 0; i < 50; i++) {
        api.bus.publish('memory_created', { content_hash: `api-${i}`, tags: [] }, 'default');
        worker.bus.publish('job_progress', { job_id: `job-${i}` }, 'default');
      }
      await waitFor(() => api.received.length >= 100 && worker.received.length >= 100);
      await new Promise((resolve) => setTimeout(resolve, 50)); // a duplicate would arrive by now
      for (const { received } of [api, worker]) {
        assert.equal(received.length, 100);
        const ids = received.map((event) => event.id);
        assert.ok(
          ids.every((id, i) => i === 0 || id > ids[i - 1]),
          'ids increase in delivery order',
        );
        assert.equal(new Set(received.map((event) => JSON.stringify(event.payload))).size, 100, 'no duplicates');
      }
      assert.deepEqual(api.received, worker.received, 'both processes saw the same events, ids and order');
      const fromApi = api.received.filter((event) => event.type === 'memory_created');
      assert.deepEqual(
        fromApi.map((event) => event.payload.content_hash),
        Array.from({ length: 50 }, (_, i) => `api-${i}`),
        "one process's events keep their order",
      );
    } finally {
      await api.bus.onApplicationShutdown();
      await worker.bus.onApplicationShutdown();
    }
  });

  it('keeps ids rising for a new subscriber after a restart of the publishers', async () => {
    const first = await processOn(redis.url);
    first.bus.publish('memory_deleted', { content_hash: 'before' }, 'default');
    await waitFor(() => first.received.length === 1);
    await first.bus.onApplicationShutdown();
    const second = await processOn(redis.url);
    try {
      second.bus.publish('memory_deleted', { content_hash: 'after' }, 'default');
      await waitFor(() => second.received.length === 1);
      assert.ok(second.received[0].id > first.received[0].id);
    } finally {
      await second.bus.onApplicationShutdown();
    }
  });

  it('subscribes once Redis answers, and again after Redis restarts', async () => {
    await redis.stop();
    const bus = new EventBus(new RedisEventRelay(redis.url, KEYS, windowsOf(100)));
    const received: EngramEvent[] = [];
    bus.subscribe((event) => received.push(event));
    try {
      let ready = false;
      void bus.ready().then(() => (ready = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(ready, false, 'no subscription without Redis');
      await redis.start();
      await bus.ready();
      bus.publish('memory_created', { content_hash: 'first' }, 'default');
      await waitFor(() => received.length === 1);
      await redis.stop();
      await redis.start();
      // The publisher queues while disconnected; the subscriber resubscribes on reconnection.
      await waitFor(() => subscribed(redis.url, 1), 10_000);
      bus.publish('memory_created', { content_hash: 'after restart' }, 'default');
      await waitFor(() => received.length === 2, 10_000);
      assert.equal(received[1].payload.content_hash, 'after restart');
      assert.ok(received[1].id > received[0].id, 'ids keep rising after Redis lost its counter');
    } finally {
      await bus.onApplicationShutdown();
    }
  });

  it("catches up from every namespace's window on what was published while its subscription was cut: each once, in order", async () => {
    const api = await processOn(redis.url);
    const writer = new EventBus(new RedisEventRelay(redis.url, KEYS, windowsOf(100)));
    const admin = new Redis(redis.url);
    try {
      writer.publish('memory_created', { content_hash: 'before the cut' }, 'default');
      await waitFor(() => api.received.length === 1);
      const clients = (await admin.client('LIST')) as string;
      const line = clients.split('\n').find((entry) => entry.includes('name=engram-events-subscriber'))!;
      await admin.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]);
      // The subscriber reconnects only after a retry delay: these are published while it is away.
      writer.publish('memory_created', { content_hash: 'missed one' }, 'default');
      writer.publish('memory_created', { content_hash: 'missed two' }, 'elsewhere');
      await waitFor(() => api.received.length >= 3, 10_000);
      await waitFor(() => subscribed(redis.url, 1), 10_000);
      writer.publish('memory_created', { content_hash: 'live again' }, 'default');
      await waitFor(() => api.received.length >= 4, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 50)); // a duplicate would arrive by now
      assert.deepEqual(
        api.received.map((event) => event.payload.content_hash),
        ['before the cut', 'missed one', 'missed two', 'live again'],
      );
    } finally {
      admin.disconnect();
      await writer.onApplicationShutdown();
      await api.bus.onApplicationShutdown();
    }
  });

  it('a publishing-only process (a worker without listeners) opens no subscription', async () => {
    const listener = await processOn(redis.url);
    const publisher = new EventBus(new RedisEventRelay(redis.url, KEYS, windowsOf(100)));
    try {
      publisher.publish('backup_created', { name: 'nightly' }, 'default');
      await waitFor(() => listener.received.length === 1);
      assert.equal(await subscriberConnections(redis.url), 1, 'only the listening process subscribed');
      assert.equal(listener.received[0].type, 'backup_created');
      assert.equal(listener.received[0].payload.name, 'nightly');
    } finally {
      await publisher.onApplicationShutdown();
      await listener.bus.onApplicationShutdown();
    }
  });

  it("two deployments with their own prefixes share a Redis without seeing each other's events or ids", async () => {
    const blue = await processOn(redis.url, new RedisKeys('engram-blue'));
    const green = await processOn(redis.url, new RedisKeys('engram-green'));
    const admin = new Redis(redis.url);
    try {
      blue.bus.publish('memory_created', { content_hash: 'blue-1' }, 'default');
      green.bus.publish('memory_created', { content_hash: 'green-1' }, 'default');
      blue.bus.publish('memory_created', { content_hash: 'blue-2' }, 'default');
      await waitFor(() => blue.received.length === 2 && green.received.length === 1);
      // A later event of each proves nothing of the other's was still on its way.
      green.bus.publish('memory_created', { content_hash: 'green-2' }, 'default');
      await waitFor(() => green.received.length === 2);
      assert.deepEqual(
        blue.received.map((event) => event.payload.content_hash),
        ['blue-1', 'blue-2'],
      );
      assert.deepEqual(
        green.received.map((event) => event.payload.content_hash),
        ['green-1', 'green-2'],
      );
      assert.equal(await admin.get('engram-blue:events:last-id:default'), String(blue.received[1].id));
      assert.equal(await admin.get('engram-green:events:last-id:default'), String(green.received[1].id));
      assert.ok((await admin.pttl('engram-blue:events:last-id:default')) > 0, "a namespace's last id expires");
    } finally {
      admin.disconnect();
      await blue.bus.onApplicationShutdown();
      await green.bus.onApplicationShutdown();
    }
  });

  it("keeps a capped replay window every process reads: a namespace's events after an id, in order, and whether any were trimmed", async () => {
    const keys = new RedisKeys('engram-log');
    const writer = new EventBus(new RedisEventRelay(redis.url, keys, windowsOf(10)));
    const listener = await processOn(redis.url, keys);
    // A process that started later and received none of them itself.
    const latecomer = new EventBus(new RedisEventRelay(redis.url, keys, windowsOf(10)));
    try {
      for (let i = 0; i < 5; i++) writer.publish('memory_created', { content_hash: `early-${i}` }, 'default');
      await waitFor(() => listener.received.length === 5);
      const [, second] = listener.received;
      const missed = await latecomer.history(seenUpTo(second.id, ['default']));
      assert.ok(missed);
      assert.deepEqual(
        missed.events.map((event) => event.payload.content_hash),
        ['early-2', 'early-3', 'early-4'],
      );
      assert.deepEqual(
        missed.events.map((event) => event.id),
        listener.received.slice(2).map((event) => event.id),
        'the ids every subscriber saw',
      );
      assert.equal(missed.complete, true);

      for (let i = 0; i < 300; i++) writer.publish('memory_created', { content_hash: `late-${i}` }, 'default');
      await waitFor(() => listener.received.length === 305);
      const behind = await latecomer.history(seenUpTo(second.id, ['default']));
      assert.ok(behind);
      assert.equal(behind.complete, false, 'events the client missed were trimmed from the window');
      assert.equal(behind.events.at(-1)?.payload.content_hash, 'late-299');
      assert.equal(behind.events.length, 10, 'the window keeps its size');
      const current = await latecomer.history(seenUpTo(listener.received[304].id, ['default']));
      assert.deepEqual(current, { events: [], complete: true });
    } finally {
      await writer.onApplicationShutdown();
      await latecomer.onApplicationShutdown();
      await listener.bus.onApplicationShutdown();
    }
  });

  it("reads a window's newest events back in pages, newest first, from any process", async () => {
    const keys = new RedisKeys('engram-newest');
    const writer = await processOn(redis.url, keys);
    const latecomer = new EventBus(new RedisEventRelay(redis.url, keys, windowsOf(100)));
    try {
      for (let i = 0; i < 5; i++) writer.bus.publish('memory_created', { content_hash: `n-${i}` }, 'default');
      await waitFor(() => writer.received.length === 5);
      const first = await latecomer.newest(['default'], 2);
      assert.deepEqual(
        first?.map((event) => event.payload.content_hash),
        ['n-4', 'n-3'],
      );
      const next = await latecomer.newest(['default'], 10, seenUpTo(first!.at(-1)!.id, ['default']));
      assert.deepEqual(
        next?.map((event) => event.id),
        writer.received
          .slice(0, 3)
          .map((event) => event.id)
          .reverse(),
      );
    } finally {
      await latecomer.onApplicationShutdown();
      await writer.bus.onApplicationShutdown();
    }
  });

  it("keeps each namespace's window apart, every process reading it: a burst elsewhere trims none of it", async () => {
    const keys = new RedisKeys('engram-apart');
    const writer = await processOn(redis.url, keys, windowsOf(5));
    const latecomer = new EventBus(new RedisEventRelay(redis.url, keys, windowsOf(5)));
    try {
      writer.bus.publish('memory_created', { content_hash: 'quiet-seen' }, 'quiet');
      writer.bus.publish('memory_created', { content_hash: 'quiet-missed' }, 'quiet');
      for (let i = 0; i < 30; i++) writer.bus.publish('memory_created', { content_hash: `busy-${i}` }, 'busy');
      await waitFor(() => writer.received.length === 32);
      const [seen, missed] = writer.received;
      assert.deepEqual(await latecomer.history(seenUpTo(seen.id, ['quiet'])), { events: [missed], complete: true });
      const busy = await latecomer.history(seenUpTo(0, ['busy']));
      assert.equal(busy?.complete, false);
      assert.deepEqual(
        busy?.events.map((event) => event.payload.content_hash),
        ['busy-25', 'busy-26', 'busy-27', 'busy-28', 'busy-29'],
      );
      const newest = await latecomer.newest(['quiet', 'busy'], 2);
      assert.deepEqual(
        newest?.map((event) => event.payload.content_hash),
        ['busy-29', 'busy-28', 'quiet-missed', 'quiet-seen'],
        'the newest of each namespace',
      );
    } finally {
      await latecomer.onApplicationShutdown();
      await writer.bus.onApplicationShutdown();
    }
  });

  it('holds every window together within the total in Redis, a small one counting as ten, dropping the idlest whole', async () => {
    const keys = new RedisKeys('engram-total');
    const bounds = { perNamespace: 5, total: 20 };
    const writer = await processOn(redis.url, keys, bounds);
    const latecomer = new EventBus(new RedisEventRelay(redis.url, keys, bounds));
    const admin = new Redis(redis.url);
    try {
      for (let n = 0; n < 40; n++) {
        for (let i = 0; i < 5; i++) writer.bus.publish('memory_created', { i }, `ns-${n}`);
      }
      await waitFor(() => writer.received.length === 200);
      const windows = await admin.keys(`${keys.eventsLogPrefix}*`);
      const lengths = await Promise.all(windows.map((window) => admin.xlen(window)));
      assert.deepEqual(lengths, [5, 5]);
      assert.equal(Number(await admin.get(keys.eventsKept)), 2 * SMALLEST_WINDOW);
      assert.deepEqual(await admin.zrange(keys.eventsWindows, '0', '-1'), ['ns-38', 'ns-39']);
      assert.equal(await admin.zcard(keys.eventsDropped), 38);
      assert.deepEqual(await latecomer.history(seenUpTo(0, ['ns-0'])), { events: [], complete: false });
      const kept = await latecomer.history(seenUpTo(0, ['ns-39']));
      assert.equal(kept?.complete, true);
      assert.equal(kept?.events.length, 5);
      assert.deepEqual(await latecomer.history(seenUpTo(0, ['never-seen'])), { events: [], complete: true });
    } finally {
      admin.disconnect();
      await latecomer.onApplicationShutdown();
      await writer.bus.onApplicationShutdown();
    }
  });

  it('forgets the oldest dropped windows past their bound, and still calls a replay from before them incomplete', async () => {
    const keys = new RedisKeys('engram-forget');
    const bounds = { perNamespace: 1, total: 1 };
    const writer = await processOn(redis.url, keys, bounds);
    const latecomer = new EventBus(new RedisEventRelay(redis.url, keys, bounds));
    const admin = new Redis(redis.url);
    try {
      const namespaces = droppedRemembered(bounds) + 10;
      for (let n = 0; n < namespaces; n++) writer.bus.publish('memory_created', {}, `ns-${n}`);
      await waitFor(() => writer.received.length === namespaces, 10_000);
      assert.equal(await admin.zcard(keys.eventsDropped), droppedRemembered(bounds));
      assert.equal(Number(await admin.get(keys.eventsForgotten)), writer.received[8].id, 'ns-8 was the last forgotten');
      assert.equal((await latecomer.history(seenUpTo(0, ['ns-0'])))?.complete, false);
      assert.equal((await latecomer.history(seenUpTo(writer.received[8].id, ['ns-0'])))?.complete, true);
    } finally {
      admin.disconnect();
      await latecomer.onApplicationShutdown();
      await writer.bus.onApplicationShutdown();
    }
  });

  it('keeps no window when its size is 0, and replays from each process then', async () => {
    const bus = new EventBus(new RedisEventRelay(redis.url, new RedisKeys('engram-nolog'), windowsOf(0)));
    const admin = new Redis(redis.url);
    try {
      bus.publish('memory_created', { content_hash: 'x' }, 'default');
      await waitFor(async () => (await admin.get('engram-nolog:events:last-id:default')) !== null);
      assert.equal(await admin.exists('engram-nolog:events:log:default'), 0);
      assert.equal(await bus.history(seenUpTo(0, ['default'])), undefined);
      assert.equal(await bus.newest(['default'], 10), undefined);
    } finally {
      admin.disconnect();
      await bus.onApplicationShutdown();
    }
  });

  it('keeps at most its queue limit of sends while Redis is away, drops the oldest, and tells every process where once it is back', async () => {
    const keys = new RedisKeys('engram-lossy');
    const writerUser = await redisUser(redis.url, 'engram-cut-writer');
    const lateUser = await redisUser(redis.url, 'engram-late-listener');
    const live = await listenerOn(redis.url, keys);
    const late = await listenerOn(lateUser.url, keys);
    const metrics = new EngramMetrics();
    const relay = new RedisEventRelay(writerUser.url, keys, windowsOf(100), { queueLimit: 10, metrics });
    const writer = new EventBus(relay);
    const names = (events: EngramEvent[]) => events.map((event) => event.payload.n);
    try {
      writer.publish('memory_created', { n: 'before the cut' }, 'even');
      await waitFor(() => live.received.length === 1 && late.received.length === 1);
      await lateUser.cut();
      await writerUser.cut();
      await waitFor(() => relay['publisher'].status !== 'ready');
      // 25 sends while the writer cannot reach Redis: the oldest 15 (8 even, 7 odd) go.
      for (let i = 0; i < 25; i++) writer.publish('memory_created', { n: `sent-${i}` }, i % 2 ? 'odd' : 'even');
      assert.equal(relay.queuedSends, 10, 'the queue holds its limit, not every send');
      const [{ value: dropped }] = (await metrics.eventsDropped.get()).values;
      assert.equal(dropped, 15);
      await writerUser.readmit();
      await waitFor(() => live.received.length >= 11 && live.lost.length >= 2, 15_000);
      // The late process was cut off while the losses were published: it catches up on them.
      await lateUser.readmit();
      await waitFor(() => late.received.length >= 11 && late.lost.length >= 2, 15_000);
      writer.publish('memory_created', { n: 'marker' }, 'even');
      await waitFor(() => live.received.length >= 12 && late.received.length >= 12);
      await new Promise((resolve) => setTimeout(resolve, 50)); // a duplicate would arrive by now
      const expected = ['before the cut', ...Array.from({ length: 10 }, (_, i) => `sent-${15 + i}`), 'marker'];
      for (const process of [live, late]) {
        assert.deepEqual(names(process.received), expected);
        assert.deepEqual(
          process.lost.map(({ namespace, count }) => ({ namespace, count })),
          [
            { namespace: 'even', count: 8 },
            { namespace: 'odd', count: 7 },
          ],
        );
      }
      assert.deepEqual(late.received, live.received, 'the same ids');
      assert.deepEqual(late.lost, live.lost);
      const [before, firstOdd, firstEven] = live.received;
      const [evenLoss, oddLoss] = live.lost;
      assert.ok(before.id < evenLoss.id && evenLoss.id < firstEven.id, 'the even loss told where it happened');
      assert.ok(oddLoss.id < firstOdd.id, 'the odd loss before the odd events kept');
      const fromBefore = await live.bus.history(seenUpTo(before.id, ['even']));
      assert.equal(fromBefore?.complete, false, 'a replay from before the loss is incomplete');
      assert.deepEqual(
        names(fromBefore!.events),
        ['sent-16', 'sent-18', 'sent-20', 'sent-22', 'sent-24', 'marker'],
        'and replays what was kept, never the loss itself',
      );
      assert.equal((await live.bus.history(seenUpTo(evenLoss.id, ['even'])))?.complete, true);
    } finally {
      await writer.onApplicationShutdown();
      await late.bus.onApplicationShutdown();
      await live.bus.onApplicationShutdown();
      await writerUser.remove();
      await lateUser.remove();
    }
  });
  it('publishes in flight when Redis went away are published once it is back, however long it stayed away', async () => {
    const keys = new RedisKeys('engram-in-flight');
    const listener = await listenerOn(redis.url, keys);
    const relay = new RedisEventRelay(redis.url, keys, windowsOf(100));
    const writer = new EventBus(relay);
    const admin = new Redis(redis.url);
    const names = () => listener.received.map((event) => event.payload.n);
    try {
      writer.publish('memory_created', { n: 'before' }, 'default');
      await waitFor(() => listener.received.length === 1);
      // Redis holds every script sent now unanswered: they are in flight when it goes.
      await admin.client('PAUSE', '60000', 'WRITE');
      for (let i = 0; i < 5; i++) writer.publish('memory_created', { n: `in-flight-${i}` }, 'default');
      await waitFor(() => relay.queuedSends === 0);
      admin.disconnect();
      let reconnections = 0;
      relay['publisher'].on('reconnecting', () => reconnections++);
      await redis.stop();
      // Away for longer than ioredis retries a command (20 reconnections, over a minute), which then gave them up.
      await waitFor(() => reconnections > 20, 150_000);
      await redis.start();
      await waitFor(() => listener.received.length >= 6 || listener.lost.length > 0, 20_000);
      writer.publish('memory_created', { n: 'after' }, 'default');
      await waitFor(() => names().includes('after'), 10_000);
      assert.deepEqual(names(), ['before', ...Array.from({ length: 5 }, (_, i) => `in-flight-${i}`), 'after']);
      assert.deepEqual(listener.lost, []);
    } finally {
      admin.disconnect();
      await writer.onApplicationShutdown();
      await listener.bus.onApplicationShutdown();
    }
  });

  it('publishes once an event that ran but whose answer the dead connection lost, though it is sent again', async () => {
    const keys = new RedisKeys('engram-resent');
    const listener = await listenerOn(redis.url, keys);
    const link = await linkTo(redis.port);
    const writer = new EventBus(new RedisEventRelay(link.url, keys, windowsOf(100)));
    const names = () => listener.received.map((event) => event.payload.n);
    try {
      writer.publish('memory_created', { n: 'before' }, 'default');
      await waitFor(() => listener.received.length === 1);
      link.holdAnswers();
      for (let i = 0; i < 3; i++) writer.publish('memory_created', { n: `ran-${i}` }, 'default');
      await waitFor(() => listener.received.length === 4);
      link.cut();
      writer.publish('memory_created', { n: 'next' }, 'default');
      await waitFor(() => names().includes('next'), 15_000);
      // Published after anything sent again on the new connection: a duplicate would be here by then.
      writer.publish('memory_created', { n: 'last' }, 'default');
      await waitFor(() => names().includes('last'), 10_000);
      assert.deepEqual(names(), ['before', 'ran-0', 'ran-1', 'ran-2', 'next', 'last']);
      assert.equal(new Set(listener.received.map((event) => event.id)).size, 6, 'each id once');
    } finally {
      await writer.onApplicationShutdown();
      await link.close();
      await listener.bus.onApplicationShutdown();
    }
  });

  it('publishes again a loss Redis refused, before the sends queued after it', async () => {
    const keys = new RedisKeys('engram-loss-refused');
    const writerUser = await redisUser(redis.url, 'engram-refused-writer');
    const live = await listenerOn(redis.url, keys);
    const relay = new RedisEventRelay(writerUser.url, keys, windowsOf(100), { queueLimit: 2 });
    const writer = new EventBus(relay);
    const admin = new Redis(redis.url);
    try {
      writer.publish('memory_created', { n: 'before' }, 'default');
      await waitFor(() => live.received.length === 1);
      await writerUser.cut();
      await waitFor(() => relay['publisher'].status !== 'ready');
      for (let i = 0; i < 5; i++) writer.publish('memory_created', { n: `sent-${i}` }, 'default');
      // The losses kept are something else for a while: Redis refuses the loss's script (WRONGTYPE).
      await admin.set(keys.eventsLosses, 'not a stream');
      const refusedBefore = await errorReplies(admin);
      await writerUser.readmit();
      await waitFor(async () => (await errorReplies(admin)) > refusedBefore, 15_000);
      await admin.del(keys.eventsLosses);
      await waitFor(() => live.lost.length >= 1 && live.received.length >= 3, 15_000);
      assert.deepEqual(
        live.received.map((event) => event.payload.n),
        ['before', 'sent-3', 'sent-4'],
      );
      assert.deepEqual(
        live.lost.map(({ namespace, count }) => ({ namespace, count })),
        [{ namespace: 'default', count: 3 }],
      );
      assert.ok(live.lost[0].id < live.received[1].id, 'told before the sends kept');
    } finally {
      admin.disconnect();
      await writer.onApplicationShutdown();
      await live.bus.onApplicationShutdown();
      await writerUser.remove();
    }
  });

  it('counts an event Redis refused as lost and tells its streams', async () => {
    const keys = new RedisKeys('engram-event-refused');
    const live = await listenerOn(redis.url, keys);
    const writer = new EventBus(new RedisEventRelay(redis.url, keys, windowsOf(100)));
    const admin = new Redis(redis.url);
    try {
      // The count of events kept is no number: Redis refuses the script of an event kept for replay.
      await admin.set(keys.eventsKept, 'not a number');
      writer.publish('memory_created', { n: 'refused' }, 'default');
      await waitFor(() => live.lost.length === 1, 10_000);
      await admin.del(keys.eventsKept);
      writer.publish('memory_created', { n: 'kept' }, 'default');
      await waitFor(() => live.received.length === 1);
      assert.deepEqual(
        live.lost.map(({ namespace, count }) => ({ namespace, count })),
        [{ namespace: 'default', count: 1 }],
      );
      assert.equal(live.received[0].payload.n, 'kept');
      assert.ok(live.lost[0].id < live.received[0].id);
    } finally {
      admin.disconnect();
      await writer.onApplicationShutdown();
      await live.bus.onApplicationShutdown();
    }
  });

  it('tells a stream resuming while Redis is away at once that its replay is incomplete', async () => {
    const keys = new RedisKeys('engram-away');
    const dir = mkdtempSync(join(tmpdir(), 'engram-away-'));
    const bus = new EventBus(new RedisEventRelay(redis.url, keys, windowsOf(100)));
    const streams = new EventStreamService(bus, new EngramMetrics(), loadConfig({ env: {}, cwd: dir }));
    await streams.onModuleInit();
    const received: EngramEvent[] = [];
    bus.subscribe((event) => received.push(event));
    const response = new PassThrough();
    let written = '';
    response.on('data', (chunk: Buffer) => (written += chunk.toString()));
    try {
      bus.publish('memory_created', { n: 'seen' }, 'default');
      await waitFor(() => received.length === 1);
      await redis.stop();
      const started = Date.now();
      // Another replica may have published since: only Redis could tell, and it does not answer.
      assert.deepEqual(await bus.history(seenUpTo(received[0].id, ['default'])), { events: [], complete: false });
      streams.open(response as unknown as ServerResponse, {
        requestId: 'r-away',
        owner: 'api_key:away',
        boundNamespace: 'default',
        filter: { namespace: 'default' },
        frames: 'named',
        lastEventId: [received[0].id],
      });
      await waitFor(() => written.includes('replay_incomplete'), 3000);
      assert.ok(Date.now() - started < 3000, 'answered within the bound');
      assert.match(
        written,
        new RegExp(`data: {"type":"replay_incomplete","last_event_id":${received[0].id},"oldest_kept_id":null}`),
      );
    } finally {
      streams.onModuleDestroy();
      await redis.start();
      await bus.onApplicationShutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
