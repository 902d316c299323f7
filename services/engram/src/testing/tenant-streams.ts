import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { EngramEventType } from '../events/engram-event';
import { EventBus } from '../events/event-bus';
import { startTestRedis, TestRedis } from './redis-server';
import { openSse, SseClient } from './sse-client';
import { startTestApp, TestApp } from './test-app';

export interface TenantStreamsOptions {
  /** The api's own key (MCP_API_KEY), which mints one key bound to each namespace. */
  ownerKey: string;
  namespaces: readonly string[];
  /** Through a real redis-server (the relay replicas share), else in process. */
  shared: boolean;
  env?: Record<string, string>;
}

/**
 * The set-up of the per-namespace event specs: an api (with a real redis-server when `shared`), a key bound
 * to each namespace, and streams opened with them, all closed after the suite. Call inside a `describe`.
 */
export class TenantStreams {
  private redis?: TestRedis;
  private app?: TestApp;
  private eventBus?: EventBus;
  private readonly open: SseClient[] = [];
  /** How many live markers `resume` has published (the last is `live marker <markersSent>`). */
  markersSent = 0;
  /** The headers of the key bound to each namespace. */
  readonly keyOf: Record<string, Record<string, string>> = {};

  constructor(private readonly options: TenantStreamsOptions) {
    before(() => this.start());
    after(() => this.stop());
  }

  get api(): TestApp {
    assert.ok(this.app, 'the api starts before the tests');
    return this.app;
  }

  /** The redis-server's URL (a `shared` suite's only). */
  get redisUrl(): string {
    assert.ok(this.redis, 'a shared suite starts a redis-server before the tests');
    return this.redis.url;
  }

  get bus(): EventBus {
    assert.ok(this.eventBus, 'the api starts before the tests');
    return this.eventBus;
  }

  readonly connect = async (headers: Record<string, string>, lastEventId?: string): Promise<SseClient> => {
    const client = await openSse(`${this.api.url}/api/events/stream?frames=named`, {
      ...headers,
      ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }),
    });
    this.open.push(client);
    assert.equal(client.status, 200, client.body);
    return client;
  };

  /** Straight onto the bus, as every write path does, so that a burst can fall within one millisecond. */
  readonly publish = (namespace: string, preview: string, type: EngramEventType = 'memory_created'): void => {
    this.bus.publish(type, { preview }, namespace);
  };

  /** The named frames a client resuming from `lastEventId` receives before a live event published after it opened. */
  readonly resume = async (
    headers: Record<string, string>,
    namespace: string,
    lastEventId: string,
  ): Promise<ReturnType<SseClient['named']>> => {
    const client = await this.connect(headers, lastEventId);
    const marker = `live marker ${++this.markersSent}`;
    this.publish(namespace, marker);
    await client.waitFor((frames) => frames.some((frame) => frame.data.includes(marker)));
    client.close();
    return client.named().slice(0, -1);
  };

  private async start(): Promise<void> {
    this.redis = this.options.shared ? await startTestRedis() : undefined;
    const app = await startTestApp({
      MCP_API_KEY: this.options.ownerKey,
      ...this.options.env,
      ...(this.redis ? { REDIS_URL: this.redis.url } : {}),
    });
    this.app = app;
    this.eventBus = app.app.get(EventBus);
    await this.eventBus.ready();
    for (const namespace of this.options.namespaces) {
      const created = await app.request('POST', '/api/admin/keys', {
        body: { name: namespace, scopes: ['write'], namespace },
        headers: { 'X-API-Key': this.options.ownerKey },
      });
      assert.equal(created.status, 201, created.text);
      this.keyOf[namespace] = { 'X-API-Key': created.body.key };
    }
  }

  private async stop(): Promise<void> {
    for (const client of this.open) client.close();
    await this.app?.close();
    await this.redis?.close();
  }
}
