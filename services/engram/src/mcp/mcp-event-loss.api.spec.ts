import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PostgresConfig } from '../config/config.types';
import { EngramEventType } from '../events/engram-event';
import { EventBus } from '../events/event-bus';
import { PostgresEventRelay, PostgresRelayOptions } from '../events/postgres-event.relay';
import { openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { PostgresDatabase } from '../storage/postgres/postgres.database';
import {
  callTool,
  ChangeNote,
  connectHttpClient,
  connectEngramStdio,
  listenForResourceChanges,
  ResourceListener,
} from '../testing/mcp-client';
import type { TestPostgres } from '../testing/postgres-test-server';
import { realPostgresAvailable, startRealPostgres } from '../testing/real-postgres';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';
import { waitFor } from '../testing/wait-for';

const API_KEY = 'mcp-loss-test-key-0123456789';
/** The writer's queue: a burst of QUEUE_LIMIT + LOST sends drops the oldest LOST. */
const QUEUE_LIMIT = 10;
const LOST = 15;
/**
 * A memory each listener holds a copy of and names in its subscription: only the spec announces changes of
 * it (untilFollowing), so the one told after a loss is the loss's.
 */
const CACHED_A = `memory://${'a'.repeat(64)}`;
const CACHED_B = `memory://${'b'.repeat(64)}`;

const updated = (uri: string): ChangeNote => ({ method: 'notifications/resources/updated', uri });
const LIST_CHANGED: ChangeNote = { method: 'notifications/resources/list_changed' };
/** Notes in an order of their own: a loss's notes are sent together, in no order a client may rely on. */
const sorted = (notes: ChangeNote[]) => [...notes].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * Events lost the way the PostgreSQL relay loses them: another replica's relay (a worker, say) sends faster
 * than it commits, its queue holds QUEUE_LIMIT, and the oldest sends go, a loss stored in their place that
 * every listening replica is told of. Its own store's pool and a queue that small are all it differs in.
 */
class LossyReplica {
  private constructor(
    private readonly db: PostgresDatabase,
    private readonly relay: PostgresEventRelay,
    private readonly bus: EventBus,
  ) {}

  static async on(url: string, options: PostgresRelayOptions = {}): Promise<LossyReplica> {
    const settings: PostgresConfig = { url, poolSize: 2, statementTimeoutMs: 30_000 };
    const db = await openPostgresDatabase(settings);
    const relay = new PostgresEventRelay(
      settings,
      db,
      { perNamespace: 100, total: 1000 },
      { queueLimit: QUEUE_LIMIT, ...options },
    );
    return new LossyReplica(db, relay, new EventBus(relay));
  }

  /** `type` events of `namespace`, one at a time. */
  publish(type: EngramEventType, payload: Record<string, unknown>, namespace: string): void {
    this.bus.publish(type, payload, namespace);
  }

  /** An update of the memory at `uri` (memory://<hash>) in `namespace`. */
  updateMemory(uri: string, namespace: string): void {
    this.publish('memory_updated', { content_hash: uri.slice('memory://'.length) }, namespace);
  }

  /** Resolves once no send waits in its queue: the next cannot push one out. */
  drained(): Promise<void> {
    return waitFor(() => this.relay.queuedSends === 0, 'the replica to commit its sends');
  }

  /**
   * A burst in `namespace` at once (nothing commits meanwhile): LOST memory writes, dropped unpublished,
   * then QUEUE_LIMIT job events, published, which announce no resource.
   */
  loseWritesIn(namespace: string): void {
    for (let i = 0; i < LOST; i++)
      this.publish('memory_created', { content_hash: `${i}`.padStart(64, 'f') }, namespace);
    for (let i = 0; i < QUEUE_LIMIT; i++) this.publish('job_queued', { job_id: `after-the-loss-${i}` }, namespace);
  }

  /** As loseWritesIn, the writes dropped spread over `namespaces` in turn. */
  loseWritesAcross(namespaces: readonly string[]): void {
    for (let i = 0; i < LOST; i++)
      this.publish('memory_created', { content_hash: `${i}`.padStart(64, 'f') }, namespaces[i % namespaces.length]);
    for (let i = 0; i < QUEUE_LIMIT; i++) this.publish('job_queued', { job_id: `after-the-loss-${i}` }, namespaces[0]);
  }

  async close(): Promise<void> {
    await this.bus.onApplicationShutdown();
    await this.db.close();
  }
}

/**
 * Waits until `listener` hears of changes in `namespace` (the process serving it follows the events: a
 * stdio process starts to on its first listener), announcing a change of memory://stats there until one
 * arrives, then one of `cached`, after every other; then forgets what it heard.
 */
async function untilFollowing(
  listener: ResourceListener,
  replica: LossyReplica,
  namespace: string,
  cached: string,
): Promise<void> {
  await waitFor(() => {
    if (listener.notes.length > 0) return true;
    replica.publish('memory_updated', { content_hash: 'e'.repeat(64) }, namespace);
    return false;
  }, `the listener in ${namespace} following the events`);
  replica.updateMemory(cached, namespace);
  await waitFor(() => listener.notes.some((note) => note.uri === cached), 'the announcements before it');
  listener.notes.length = 0;
}

/**
 * MCP listeners told of events lost by the PostgreSQL relay (real server, real api on loopback, real SDK
 * clients over HTTP and stdio): the loss comes through the same hook as SSE's `replay_incomplete`.
 */
if (realPostgresAvailable()) {
  describe('MCP resource updates when events were lost (PostgreSQL relay)', () => {
    let postgres: TestPostgres;
    let api: TestApp;
    let replica: LossyReplica;

    before(async () => {
      postgres = await startRealPostgres();
      api = await startTestApp({
        MCP_API_KEY: API_KEY,
        MCP_MEMORY_STORAGE_BACKEND: 'postgres',
        DATABASE_URL: postgres.url,
      });
      replica = await LossyReplica.on(postgres.url);
    });
    after(async () => {
      await replica?.close();
      await api?.close();
      await postgres?.close();
    });

    it("tells a namespace's listen streams to re-read every resource they named where its events were lost, and no other namespace's", async () => {
      const listenerA = await listenForResourceChanges(
        await connectHttpClient(api.url, API_KEY, 'v2-modern', 'loss-a'),
        { resourcesListChanged: true, resourceSubscriptions: ['memory://stats', 'memory://tags', CACHED_A] },
      );
      const listenerB = await listenForResourceChanges(
        await connectHttpClient(api.url, API_KEY, 'v2-modern', 'loss-b'),
        { resourcesListChanged: true, resourceSubscriptions: ['memory://stats', CACHED_B] },
      );
      try {
        await untilFollowing(listenerA, replica, 'loss-a', CACHED_A);
        await untilFollowing(listenerB, replica, 'loss-b', CACHED_B);
        replica.loseWritesIn('loss-a');
        await waitFor(() => listenerA.notes.length >= 4, 'the loss told to loss-a');
        assert.deepEqual(
          sorted(listenerA.notes),
          sorted([LIST_CHANGED, updated('memory://stats'), updated('memory://tags'), updated(CACHED_A)]),
        );

        // Each namespace's next write shows what its stream received before it: loss-b nothing of the loss.
        await replica.drained();
        const writerA = await connectHttpClient(api.url, API_KEY, 'v2-modern', 'loss-a');
        const writerB = await connectHttpClient(api.url, API_KEY, 'v2-modern', 'loss-b');
        await callTool(writerA.client, 'memory_store', { content: 'written after the loss in loss-a' });
        await callTool(writerB.client, 'memory_store', { content: 'written after the loss in loss-b' });
        await Promise.all([writerA.client.close(), writerB.client.close()]);
        await waitFor(() => listenerA.notes.length >= 6 && listenerB.notes.length >= 1, 'the writes after it');
        assert.deepEqual(listenerA.notes.slice(4), [updated('memory://stats'), updated('memory://tags')]);
        assert.deepEqual(listenerB.notes, [updated('memory://stats')], 'loss-b was told nothing of loss-a');
      } finally {
        await listenerA.close();
        await listenerB.close();
      }
    });

    it('tells a stdio client (engram mcp on the same store) where events of its namespace were lost', async () => {
      const dir = makeTempDir();
      const connected = await connectEngramStdio(dir, {
        MCP_MEMORY_STORAGE_BACKEND: 'postgres',
        DATABASE_URL: postgres.url,
      });
      const listener = await listenForResourceChanges(connected, {
        resourcesListChanged: true,
        resourceSubscriptions: ['memory://stats', CACHED_A],
      });
      try {
        await untilFollowing(listener, replica, 'default', CACHED_A);
        // Another namespace's loss first: told to the stdio client, it would come before its own.
        replica.loseWritesIn('elsewhere');
        replica.loseWritesIn('default');
        await waitFor(() => listener.notes.length >= 3, 'the loss told over stdio');
        await replica.drained();
        replica.updateMemory(CACHED_A, 'default');
        await waitFor(() => listener.notes.length >= 5, 'the update after it');
        assert.deepEqual(
          sorted(listener.notes.slice(0, 3)),
          sorted([LIST_CHANGED, updated('memory://stats'), updated(CACHED_A)]),
        );
        assert.deepEqual(sorted(listener.notes.slice(3)), sorted([updated('memory://stats'), updated(CACHED_A)]));
      } finally {
        await listener.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('tells the listen streams of every namespace, those that lost nothing too, of a loss everywhere', async () => {
      // Counting the drops of one namespace apart at most, the replica stores a loss everywhere for two.
      const spreading = await LossyReplica.on(postgres.url, { lossNamespacesLimit: 1 });
      const listenerA = await listenForResourceChanges(
        await connectHttpClient(api.url, API_KEY, 'v2-modern', 'everywhere-a'),
        { resourcesListChanged: true, resourceSubscriptions: ['memory://stats', 'memory://tags', CACHED_A] },
      );
      const listenerB = await listenForResourceChanges(
        await connectHttpClient(api.url, API_KEY, 'v2-modern', 'everywhere-b'),
        { resourcesListChanged: true, resourceSubscriptions: ['memory://stats', CACHED_B] },
      );
      try {
        await untilFollowing(listenerA, spreading, 'everywhere-a', CACHED_A);
        await untilFollowing(listenerB, spreading, 'everywhere-b', CACHED_B);
        spreading.loseWritesAcross(['lossy-1', 'lossy-2']);
        await waitFor(() => listenerA.notes.length >= 4 && listenerB.notes.length >= 3, 'the loss told to both');
        assert.deepEqual(
          sorted(listenerA.notes),
          sorted([LIST_CHANGED, updated('memory://stats'), updated('memory://tags'), updated(CACHED_A)]),
        );
        assert.deepEqual(sorted(listenerB.notes), sorted([LIST_CHANGED, updated('memory://stats'), updated(CACHED_B)]));
      } finally {
        await listenerA.close();
        await listenerB.close();
        await spreading.close();
      }
    });
  });
}
