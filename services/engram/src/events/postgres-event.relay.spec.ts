import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresConfig } from '../config/config.types';
import { openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { EngramMetrics } from '../metrics/engram-metrics';
import { PostgresDatabase } from '../storage/postgres/postgres.database';
import type { TestPostgres } from '../testing/postgres-test-server';
import { createTestDatabase } from '../testing/postgres-test-database';
import { realPostgresAvailable, startRealPostgres } from '../testing/real-postgres';
import { startStallableLink } from '../testing/stallable-link';
import { waitFor } from '../testing/wait-for';
import { EngramEvent } from './engram-event';
import { EventBus } from './event-bus';
import { seenUpTo } from './event-cursor';
import { LostEvents } from './event-relay';
import { PostgresEventRelay, PostgresRelayOptions } from './postgres-event.relay';
import { droppedRemembered, ReplayBounds, SMALLEST_WINDOW } from './replay-windows';

/** Replay windows of `perNamespace` events each, ten times that in all. */
const windowsOf = (perNamespace: number) => ({ perNamespace, total: perNamespace * 10 });

const settingsOf = (url: string): PostgresConfig => ({ url, poolSize: 4, statementTimeoutMs: 30_000 });

/** One process's view of a store: its pool, its bus on the relay, every event it has received and every loss. */
interface EngramProcess {
  db: PostgresDatabase;
  relay: PostgresEventRelay;
  bus: EventBus;
  received: EngramEvent[];
  lost: LostEvents[];
  /** Where each loss everywhere was told: how many events had been received by then. */
  lostEverywhereAt: number[];
  close(): Promise<void>;
}

/**
 * Runs `work` with a login role of its own for one process's relay connection on the store at `url` (its
 * tables made), so that connection alone can be kept out of the server (`cut`: no new sessions, its session
 * ended) while every other process goes on; the role goes afterwards.
 */
async function withRelayRole(url: string, work: (role: RelayRole) => Promise<void>): Promise<void> {
  const store = new pg.Client({ connectionString: url });
  await store.connect();
  let role: RelayRole | undefined;
  try {
    role = await relayRole(store, url);
    await work(role);
  } finally {
    await role?.drop();
    await store.end();
  }
}

type RelayRole = Awaited<ReturnType<typeof relayRole>>;

async function relayRole(store: pg.Client, url: string) {
  const role = `engram_relay_${randomBytes(4).toString('hex')}`;
  await store.query(`CREATE ROLE ${role} LOGIN PASSWORD 'relay'`);
  await store.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`);
  const asRole = new URL(url);
  asRole.username = role;
  asRole.password = 'relay';
  return {
    url: asRole.toString(),
    async cut(connectionName: string) {
      await store.query(`ALTER ROLE ${role} CONNECTION LIMIT 0`);
      await store.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
        connectionName,
      ]);
    },
    readmit: () => store.query(`ALTER ROLE ${role} CONNECTION LIMIT -1`),
    drop: () => store.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined),
  };
}

/** Nothing is waited on in these: a duplicate or a stray event would have arrived by the later one awaited. */
const received = (process: EngramProcess) => process.received.map((event) => event.payload.n);

/**
 * Events across processes through one real PostgreSQL (concurrent sessions, as replicas have; PGlite serves
 * every connection on one session, so a notification never reaches another). Each case has its own
 * database, as each deployment has its own store.
 */
if (realPostgresAvailable()) {
  describe('events across processes through PostgreSQL LISTEN/NOTIFY (real server, no Redis)', () => {
    let server: TestPostgres;
    const stores: TestPostgres[] = [];
    const processes: EngramProcess[] = [];

    const newStore = async () => {
      const store = await createTestDatabase(server.url);
      stores.push(store);
      return store.url;
    };

    async function processOn(
      url: string,
      bounds: ReplayBounds = windowsOf(100),
      options: PostgresRelayOptions & { listening?: boolean; relayUrl?: string } = {},
    ): Promise<EngramProcess> {
      const db = await openPostgresDatabase(settingsOf(url));
      const relay = new PostgresEventRelay(settingsOf(options.relayUrl ?? url), db, bounds, options);
      const bus = new EventBus(relay);
      const events: EngramEvent[] = [];
      const lost: LostEvents[] = [];
      const lostEverywhereAt: number[] = [];
      if (options.listening !== false) {
        bus.subscribe(
          (event) => events.push(event),
          (loss) => (loss.everywhere ? lostEverywhereAt.push(events.length) : lost.push(loss)),
        );
        await bus.ready();
      }
      const process: EngramProcess = {
        db,
        relay,
        bus,
        received: events,
        lost,
        lostEverywhereAt,
        close: async () => {
          if (processes.includes(process)) processes.splice(processes.indexOf(process), 1);
          await bus.onApplicationShutdown();
          await db.close();
        },
      };
      processes.push(process);
      return process;
    }

    before(async () => {
      server = await startRealPostgres();
    });
    after(async () => {
      // A copy: each close takes its process out of the list.
      await Promise.all([...processes].map((process) => process.close()));
      for (const store of stores) await store.close();
      await server?.close();
    });

    it('delivers every event of every process exactly once to each, ids increasing in the same order everywhere', async () => {
      const url = await newStore();
      const api = await processOn(url);
      const worker = await processOn(url);
      for (let i = 0; i < 50; i++) {
        api.bus.publish('memory_created', { n: `api-${i}` }, 'default');
        worker.bus.publish('job_progress', { n: `job-${i}` }, 'default');
      }
      await waitFor(() => api.received.length >= 100 && worker.received.length >= 100, 'every event everywhere');
      api.bus.publish('memory_created', { n: 'marker' }, 'default');
      await waitFor(() => api.received.length === 101 && worker.received.length === 101, 'the marker');
      for (const { received: events } of [api, worker]) {
        const ids = events.map((event) => event.id);
        assert.ok(
          ids.every((id, i) => i === 0 || id > ids[i - 1]),
          'ids increase in delivery order',
        );
        assert.equal(new Set(events.map((event) => event.payload.n)).size, 101, 'no duplicates');
      }
      assert.deepEqual(api.received, worker.received, 'both processes saw the same events, ids and order');
      assert.deepEqual(
        received(api).filter((n) => String(n).startsWith('api-')),
        Array.from({ length: 50 }, (_, i) => `api-${i}`),
        "one process's events keep their order",
      );
    });

    it("numbers each namespace's events itself, and keeps ids rising for the next run of the publishers", async () => {
      const url = await newStore();
      const first = await processOn(url);
      for (let i = 0; i < 20; i++) first.bus.publish('memory_created', { n: i }, i % 2 ? 'odd' : 'even');
      await waitFor(() => first.received.length === 20, 'the first run');
      const odd = first.received.filter((event) => event.namespace === 'odd');
      assert.ok(
        odd.every((event, i) => i === 0 || event.id > odd[i - 1].id),
        'ids rise within a namespace',
      );
      await first.close();
      // A publisher whose clock is an hour behind: ids still rise past every one handed out in its namespace.
      const behind = await processOn(url, windowsOf(100), { clock: () => Date.now() - 3_600_000 });
      behind.bus.publish('memory_deleted', { n: 'after' }, 'odd');
      await waitFor(() => behind.received.length === 1, 'the second run');
      assert.ok(behind.received[0].id > odd.at(-1)!.id);
      // One two hours ahead: the others' last ids fall an hour behind its clock and are forgotten, and they
      // start again above the latest clock reading, past every id they had.
      const ahead = await processOn(url, windowsOf(100), { clock: () => Date.now() + 7_200_000 });
      ahead.bus.publish('memory_deleted', { n: 'ahead' }, 'elsewhere');
      await waitFor(() => behind.received.length === 2, 'the event from ahead');
      const [{ remembered }] = await ahead.db.query<{ remembered: number }>(
        'SELECT count(*) AS remembered FROM event_sequences',
      );
      assert.equal(remembered, 1, 'only the namespace active within the hour');
      behind.bus.publish('memory_deleted', { n: 'forgotten and back' }, 'even');
      await waitFor(() => behind.received.length === 3, 'the event of a forgotten namespace');
      assert.ok(behind.received[2].id >= behind.received[1].id, 'from the latest clock reading on');
      assert.ok(behind.received[2].id > Math.max(...first.received.map((event) => event.id)));
    });

    it('catches up on what was published while its connection was cut: each once, in order', async () => {
      const url = await newStore();
      const writer = await processOn(url);
      // The listener connects as a role of its own, so it alone can be kept out while the others publish.
      await withRelayRole(url, async (role) => {
        const listener = await processOn(url, windowsOf(100), { relayUrl: role.url, connectionName: 'engram-cut' });
        writer.bus.publish('memory_created', { n: 'before the cut' }, 'default');
        await waitFor(() => listener.received.length === 1, 'the first event');
        await role.cut('engram-cut');
        writer.bus.publish('memory_created', { n: 'missed one' }, 'default');
        writer.bus.publish('job_progress', { n: 'missed progress' }, 'default');
        writer.bus.publish('memory_created', { n: 'missed two' }, 'elsewhere');
        await waitFor(() => writer.received.length === 4, 'the writer saw its events');
        assert.equal(listener.received.length, 1, 'nothing reached the listener while it was cut off');
        await role.readmit();
        await waitFor(() => listener.received.length >= 4, 'the catch-up');
        writer.bus.publish('memory_created', { n: 'live again' }, 'default');
        await waitFor(() => listener.received.length >= 5, 'a live event');
        writer.bus.publish('memory_created', { n: 'marker' }, 'default');
        await waitFor(() => listener.received.length >= 6, 'the marker');
        assert.deepEqual(received(listener), [
          'before the cut',
          'missed one',
          'missed progress',
          'missed two',
          'live again',
          'marker',
        ]);
        assert.deepEqual(listener.received, writer.received, 'the same ids');
      });
    });

    it('keeps at most its queue limit of sends while PostgreSQL is unreachable, drops the oldest, and tells every listener where', async () => {
      const url = await newStore();
      const listener = await processOn(url);
      const latecomer = await processOn(url, windowsOf(100), { listening: false });
      await withRelayRole(url, async (role) => {
        const metrics = new EngramMetrics();
        const writer = await processOn(url, windowsOf(100), {
          relayUrl: role.url,
          connectionName: 'engram-cut-writer',
          queueLimit: 10,
          metrics,
          listening: false,
        });
        writer.bus.publish('memory_created', { n: 'before the cut' }, 'even');
        await waitFor(() => listener.received.length === 1, 'the first event');
        await role.cut('engram-cut-writer');
        // 25 sends while the writer's relay cannot connect: the oldest 15 (8 even, 7 odd) go.
        for (let i = 0; i < 25; i++) writer.bus.publish('memory_created', { n: `sent-${i}` }, i % 2 ? 'odd' : 'even');
        assert.equal(writer.relay.queuedSends, 10, 'the queue holds its limit, not every send');
        const [{ value: dropped }] = (await metrics.eventsDropped.get()).values;
        assert.equal(dropped, 15);
        await role.readmit();
        await waitFor(
          () => listener.received.length >= 11 && listener.lost.length >= 2,
          'the sends kept and the losses',
        );
        writer.bus.publish('memory_created', { n: 'marker' }, 'even');
        await waitFor(() => listener.received.length >= 12, 'the marker');
        assert.deepEqual(received(listener), [
          'before the cut',
          ...Array.from({ length: 10 }, (_, i) => `sent-${15 + i}`),
          'marker',
        ]);
        assert.deepEqual(
          listener.lost.map(({ namespace, count }) => ({ namespace, count })),
          [
            { namespace: 'even', count: 8 },
            { namespace: 'odd', count: 7 },
          ],
        );
        const [before, firstOdd, firstEven] = [listener.received[0], listener.received[1], listener.received[2]];
        const [evenLoss, oddLoss] = listener.lost;
        assert.ok(before.id < evenLoss.id && evenLoss.id < firstEven.id, 'the even loss told where it happened');
        assert.ok(oddLoss.id < firstOdd.id, 'the odd loss before the odd events kept');
        const fromBefore = await latecomer.bus.history(seenUpTo(before.id, ['even']));
        assert.equal(fromBefore?.complete, false, 'a replay from before the loss is incomplete');
        assert.deepEqual(
          fromBefore?.events.map((event) => event.payload.n),
          ['sent-16', 'sent-18', 'sent-20', 'sent-22', 'sent-24', 'marker'],
          'and replays what was kept, never the loss itself',
        );
        assert.equal((await latecomer.bus.history(seenUpTo(evenLoss.id, ['even'])))?.complete, true);
      });
    });

    it('tells one loss everywhere, heard by the listeners of every namespace, when more namespaces lost sends than it counts apart', async () => {
      const url = await newStore();
      const listener = await processOn(url);
      const latecomer = await processOn(url, windowsOf(100), { listening: false });
      await withRelayRole(url, async (role) => {
        const writer = await processOn(url, windowsOf(100), {
          relayUrl: role.url,
          connectionName: 'engram-cut-many',
          queueLimit: 10,
          lossNamespacesLimit: 3,
          listening: false,
        });
        writer.bus.publish('memory_created', { n: 'before the cut' }, 'quiet');
        await waitFor(() => listener.received.length === 1, 'the first event');
        await role.cut('engram-cut-many');
        // 25 sends of 25 namespaces while the writer's relay cannot connect: the oldest 15 go, of 15 namespaces.
        for (let i = 0; i < 25; i++) writer.bus.publish('memory_created', { n: `sent-${i}` }, `ns-${i}`);
        await role.readmit();
        await waitFor(() => listener.received.length >= 11, 'the sends kept');
        writer.bus.publish('memory_created', { n: 'after' }, 'quiet');
        await waitFor(() => listener.received.length >= 12, 'the event after');
        assert.deepEqual(received(listener), [
          'before the cut',
          ...Array.from({ length: 10 }, (_, i) => `sent-${15 + i}`),
          'after',
        ]);
        assert.deepEqual(listener.lost, [], 'no loss names a namespace');
        assert.deepEqual(listener.lostEverywhereAt, [1], 'one loss everywhere, where the sends were dropped');
        const [before, , , , , , , , , , , after] = listener.received;
        assert.equal(
          (await latecomer.bus.history(seenUpTo(before.id, ['quiet'])))?.complete,
          false,
          'a replay from before it is incomplete, in a namespace that lost nothing too',
        );
        assert.equal((await latecomer.bus.history(seenUpTo(after.id, ['quiet'])))?.complete, true);
        assert.equal((await latecomer.bus.history(seenUpTo(listener.received[1].id, ['ns-15'])))?.complete, true);
      });
    });

    it('holds at most its limit of notifications while a catch-up read is stalled, reads the rest from the table, and tells every listener where the table had lost them', async () => {
      const url = await newStore();
      const link = await startStallableLink(url);
      const writer = await processOn(url, windowsOf(10), { listening: false });
      const listener = await processOn(url, windowsOf(10), { relayUrl: link.url, heldLimit: 50 });
      try {
        const otherSubscriber: boolean[] = [];
        listener.bus.subscribe(
          () => undefined,
          (loss) => otherSubscriber.push(loss.everywhere === true),
        );
        writer.bus.publish('memory_created', { n: 'before' }, 'default');
        await waitFor(() => listener.received.length === 1, 'the first event');
        link.stall();
        // Too large for a notification: the listener reads it from the table, a read held back by the link.
        writer.bus.publish('memory_created', { n: 'large', content: 'x'.repeat(20_000) }, 'default');
        await waitFor(() => listener.relay.heldNotifications > 0, 'the catch-up to start');
        // The window keeps 10 of these: the rest are gone from the table by the time the read is answered.
        for (let i = 0; i < 300; i++) writer.bus.publish('memory_created', { n: `flood-${i}` }, 'busy');
        let mostHeld = 0;
        // Committed, not only handed to the connection: a read racing the last commit would find 11 kept.
        await waitFor(async () => {
          mostHeld = Math.max(mostHeld, listener.relay.heldNotifications);
          if (writer.relay.queuedSends > 0) return false;
          const [newest] = (await writer.relay.newest(['busy'], 1)) ?? [];
          return newest?.payload.n === 'flood-299';
        }, 'the flood to commit');
        assert.ok(mostHeld <= 50, `${mostHeld} notifications held`);
        link.resume();
        await waitFor(() => listener.received.length >= 12, 'the catch-up');
        writer.bus.publish('memory_created', { n: 'marker' }, 'default');
        await waitFor(() => listener.received.length >= 13, 'the marker');
        assert.deepEqual(received(listener), [
          'before',
          'large',
          ...Array.from({ length: 10 }, (_, i) => `flood-${290 + i}`),
          'marker',
        ]);
        assert.deepEqual(listener.lostEverywhereAt, [2], 'one loss everywhere, where the flood was trimmed');
        assert.deepEqual(otherSubscriber, [true], 'told to every subscriber');
      } finally {
        link.resume(); // a failed case must not leave the listener's read waiting on the link
        await listener.close();
        await link.close();
      }
    });

    it('hands over an event too large for a notification from the table, in its place', async () => {
      const url = await newStore();
      const writer = await processOn(url, windowsOf(100), { listening: false });
      const listener = await processOn(url);
      writer.bus.publish('memory_created', { n: 'small' }, 'default');
      writer.bus.publish('memory_created', { n: 'large', content: 'x'.repeat(20_000) }, 'default');
      writer.bus.publish('job_progress', { n: 'large progress', content: 'y'.repeat(20_000) }, 'default');
      writer.bus.publish('memory_created', { n: 'after' }, 'default');
      await waitFor(() => listener.received.length >= 4, 'four events');
      writer.bus.publish('memory_created', { n: 'marker' }, 'default');
      await waitFor(() => listener.received.length >= 5, 'the marker');
      assert.deepEqual(received(listener), ['small', 'large', 'large progress', 'after', 'marker']);
      assert.equal(String(listener.received[1].payload.content).length, 20_000);
    });

    it("keeps a capped replay window every process reads: a namespace's events after an id, in order, and whether any were trimmed", async () => {
      const url = await newStore();
      const writer = await processOn(url, windowsOf(10), { listening: false });
      const listener = await processOn(url, windowsOf(10));
      // A process that started later and received none of them itself.
      const latecomer = await processOn(url, windowsOf(10), { listening: false });
      for (let i = 0; i < 5; i++) writer.bus.publish('memory_created', { n: `early-${i}` }, 'default');
      await waitFor(() => listener.received.length === 5, 'five events');
      const [, second] = listener.received;
      const missed = await latecomer.bus.history(seenUpTo(second.id, ['default']));
      assert.deepEqual(missed, { events: listener.received.slice(2), complete: true }, 'the ids every listener saw');

      for (let i = 0; i < 300; i++) writer.bus.publish('memory_created', { n: `late-${i}` }, 'default');
      await waitFor(() => listener.received.length === 305, 'the burst');
      const behind = await latecomer.bus.history(seenUpTo(second.id, ['default']));
      assert.equal(behind?.complete, false, 'events the client missed were trimmed from the window');
      assert.deepEqual(behind?.events, listener.received.slice(-10), 'the window keeps its size');
      const current = await latecomer.bus.history(seenUpTo(listener.received[304].id, ['default']));
      assert.deepEqual(current, { events: [], complete: true });
      assert.equal((await latecomer.bus.history(seenUpTo(listener.received[294].id, ['default'])))?.complete, true);
    });

    it("reads a window's newest events back in pages, newest first, from any process", async () => {
      const url = await newStore();
      const writer = await processOn(url);
      const latecomer = await processOn(url, windowsOf(100), { listening: false });
      for (let i = 0; i < 5; i++) writer.bus.publish('memory_created', { n: `n-${i}` }, 'default');
      await waitFor(() => writer.received.length === 5, 'five events');
      const first = await latecomer.bus.newest(['default'], 2);
      assert.deepEqual(
        first?.map((event) => event.payload.n),
        ['n-4', 'n-3'],
      );
      const next = await latecomer.bus.newest(['default'], 10, seenUpTo(first!.at(-1)!.id, ['default']));
      assert.deepEqual(next, writer.received.slice(0, 3).reverse());
    });

    it("keeps each namespace's window apart, every process reading it: a burst elsewhere trims none of it", async () => {
      const url = await newStore();
      const writer = await processOn(url, windowsOf(5));
      const latecomer = await processOn(url, windowsOf(5), { listening: false });
      writer.bus.publish('memory_created', { n: 'quiet-seen' }, 'quiet');
      writer.bus.publish('memory_created', { n: 'quiet-missed' }, 'quiet');
      for (let i = 0; i < 30; i++) writer.bus.publish('memory_created', { n: `busy-${i}` }, 'busy');
      await waitFor(() => writer.received.length === 32, 'every event');
      const [seen, missed] = writer.received;
      assert.deepEqual(await latecomer.bus.history(seenUpTo(seen.id, ['quiet'])), { events: [missed], complete: true });
      const busy = await latecomer.bus.history(seenUpTo(0, ['busy']));
      assert.equal(busy?.complete, false);
      assert.deepEqual(
        busy?.events.map((event) => event.payload.n),
        ['busy-25', 'busy-26', 'busy-27', 'busy-28', 'busy-29'],
      );
      const both = await latecomer.bus.history(
        new Map([
          ['quiet', seen.id],
          ['busy', writer.received[29].id],
        ]),
      );
      assert.deepEqual(
        both?.events.map((event) => event.payload.n),
        ['quiet-missed', 'busy-28', 'busy-29'],
        'the events of both, in the order published; one after trimmed ids is complete',
      );
      assert.equal(both?.complete, true);
      const newest = await latecomer.bus.newest(['quiet', 'busy'], 2);
      assert.deepEqual(
        newest?.map((event) => event.payload.n),
        ['busy-29', 'busy-28', 'quiet-missed', 'quiet-seen'],
        'the newest of each namespace',
      );
    });

    it('holds every window together within the total, a small one counting as ten, dropping the idlest whole', async () => {
      const url = await newStore();
      const bounds = { perNamespace: 5, total: 20 };
      const writer = await processOn(url, bounds);
      const latecomer = await processOn(url, bounds, { listening: false });
      for (let n = 0; n < 40; n++) {
        for (let i = 0; i < 5; i++) writer.bus.publish('memory_created', { n: i }, `ns-${n}`);
      }
      await waitFor(() => writer.received.length === 200, 'every event');
      const windows = await writer.db.query<{ namespace: string; size: number }>(
        'SELECT namespace, size FROM event_windows ORDER BY namespace',
      );
      assert.deepEqual(windows, [
        { namespace: 'ns-38', size: 5 },
        { namespace: 'ns-39', size: 5 },
      ]);
      const [{ kept }] = await writer.db.query<{ kept: number }>('SELECT count(*) AS kept FROM events WHERE kept');
      assert.equal(kept, 10);
      const [{ charged }] = await writer.db.query<{ charged: number }>('SELECT charged FROM event_order');
      assert.equal(charged, 2 * SMALLEST_WINDOW);
      const [{ dropped }] = await writer.db.query<{ dropped: number }>(
        'SELECT count(*) AS dropped FROM event_windows_dropped',
      );
      assert.equal(dropped, 38);
      assert.deepEqual(await latecomer.bus.history(seenUpTo(0, ['ns-0'])), { events: [], complete: false });
      assert.equal((await latecomer.bus.history(seenUpTo(writer.received[4].id, ['ns-0'])))?.complete, true);
      const kept39 = await latecomer.bus.history(seenUpTo(0, ['ns-39']));
      assert.equal(kept39?.complete, true);
      assert.equal(kept39?.events.length, 5);
      assert.deepEqual(await latecomer.bus.history(seenUpTo(0, ['never-seen'])), { events: [], complete: true });
    });

    it('forgets the oldest dropped windows past their bound, and still calls a replay from before them incomplete', async () => {
      const url = await newStore();
      const bounds = { perNamespace: 1, total: 1 };
      const writer = await processOn(url, bounds);
      const latecomer = await processOn(url, bounds, { listening: false });
      const namespaces = droppedRemembered(bounds) + 10;
      for (let n = 0; n < namespaces; n++) writer.bus.publish('memory_created', {}, `ns-${n}`);
      await waitFor(() => writer.received.length === namespaces, 'every event', 60_000);
      const [{ dropped }] = await writer.db.query<{ dropped: number }>(
        'SELECT count(*) AS dropped FROM event_windows_dropped',
      );
      assert.equal(dropped, droppedRemembered(bounds));
      const [{ forgotten }] = await writer.db.query<{ forgotten: number }>(
        'SELECT forgotten_up_to AS forgotten FROM event_order',
      );
      assert.equal(forgotten, writer.received[8].id, 'ns-8 was the last forgotten');
      assert.equal((await latecomer.bus.history(seenUpTo(0, ['ns-0'])))?.complete, false);
      assert.equal((await latecomer.bus.history(seenUpTo(writer.received[8].id, ['ns-0'])))?.complete, true);
    });

    it('keeps no window when its size is 0, and lets job progress pass without keeping it long', async () => {
      const url = await newStore();
      const bus = await processOn(url, windowsOf(0));
      bus.bus.publish('memory_created', { n: 'x' }, 'default');
      await waitFor(() => bus.received.length === 1, 'the event');
      assert.equal(await bus.bus.history(seenUpTo(0, ['default'])), undefined);
      assert.equal(await bus.bus.newest(['default'], 10), undefined);
      const progress = await processOn(url, windowsOf(10));
      for (let i = 0; i < 1100; i++) progress.bus.publish('job_progress', { n: i }, 'default');
      await waitFor(() => progress.received.length === 1100, 'the progress', 60_000);
      const [{ stored }] = await bus.db.query<{ stored: number }>('SELECT count(*) AS stored FROM events');
      assert.ok(stored <= 1000, `${stored} events stored`);
      assert.deepEqual(await progress.bus.newest(['default'], 10), [], 'progress is never replayed');
    });
  });
}
