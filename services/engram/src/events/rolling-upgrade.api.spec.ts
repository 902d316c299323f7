import assert from 'node:assert/strict';
import { before, after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisKeys } from '../config/redis-keys';
import { OneSequenceBuild } from '../testing/one-sequence-build';
import { SseClient } from '../testing/sse-client';
import { TenantStreams } from '../testing/tenant-streams';
import { waitFor } from '../testing/wait-for';
import { EngramEventType, EventDraft, STORE_WIDE } from './engram-event';
import { EventBus } from './event-bus';
import { RedisEventRelay } from './redis-event.relay';

const API_KEY = 'rolling-upgrade-key-0123456789abcdef';
const OWNER = { 'X-API-Key': API_KEY };
const HOUR_MS = 3_600_000;

function draft(namespace: string, preview: string, type: EngramEventType = 'memory_created'): EventDraft {
  return { type, timestamp: new Date().toISOString(), namespace, payload: { preview } };
}

const previews = (client: SseClient) => client.named().map((frame) => frame.data.payload.preview);

describe('events during a rolling upgrade from the build with one id sequence (real redis-server)', () => {
  const streams = new TenantStreams({
    ownerKey: API_KEY,
    namespaces: ['tenant-a', 'tenant-b'],
    shared: true,
    env: { ENGRAM_EVENTS_RING_SIZE: '1000' },
  });
  const { keyOf, connect, publish, resume } = streams;
  let oldReplica: OneSequenceBuild;
  let oldChannel: Redis;
  /** What a replica of the old build receives on its channel, in order. */
  const oldMessages: string[] = [];
  before(async () => {
    oldReplica = new OneSequenceBuild(streams.redisUrl, streams.api.app.get(RedisKeys).prefix);
    oldChannel = new Redis(streams.redisUrl);
    oldChannel.on('message', (_channel: string, message: string) => oldMessages.push(message));
    await oldChannel.subscribe(oldReplica.channel);
  });
  after(() => {
    oldChannel.disconnect();
    oldReplica.close();
  });

  it("a new replica's streams deliver what an old replica publishes, in the order published, its namespace's ids going on past it", async () => {
    const watchA = await connect(keyOf['tenant-a']);
    const watchAll = await connect(OWNER);
    const arrived = (client: SseClient, count: number) => client.waitFor((frames) => frames.length === count);
    publish('tenant-a', 'new one');
    await arrived(watchA, 1);
    const oldId = await oldReplica.publish(draft('tenant-a', 'old one'));
    await arrived(watchA, 2);
    publish('tenant-a', 'new two');
    await arrived(watchA, 3);
    // An old replica whose clock runs an hour ahead: the new build's next ids must still come after its.
    const aheadId = await oldReplica.publish(
      draft('tenant-a', 'old, an hour ahead', 'job_progress'),
      Date.now() + HOUR_MS,
    );
    await arrived(watchA, 4);
    publish('tenant-a', 'new three');
    await arrived(watchA, 5);
    const storeWideId = await oldReplica.publish(draft(STORE_WIDE, 'old backup', 'backup_created'));
    await watchAll.waitFor((frames) => frames.some((frame) => frame.data.includes('old backup')));

    assert.deepEqual(previews(watchA), ['new one', 'old one', 'new two', 'old, an hour ahead', 'new three']);
    const live = watchA.named();
    assert.deepEqual(
      live.map((frame) => Number(frame.id)),
      live.map((frame) => frame.data.id),
    );
    assert.equal(live[1].data.id, oldId, "an old replica's event keeps the id it was given");
    assert.equal(live[3].data.id, aheadId);
    const ids = live.map((frame) => frame.data.id as number);
    assert.ok(
      ids.every((id, i) => i === 0 || id > ids[i - 1]),
      `ids rise in the namespace: ${ids}`,
    );
    const backup = watchAll.named().find((frame) => frame.data.payload.preview === 'old backup')!;
    assert.equal(backup.data.id, storeWideId);
    assert.equal(backup.id!.split('-')[1], String(storeWideId), "the store-wide part of an unbound key's position");

    const replayed = await resume(keyOf['tenant-a'], 'tenant-a', live[0].id!);
    assert.deepEqual(
      replayed.map((frame) => [frame.data.payload.preview, frame.data.id]),
      [
        ['old one', live[1].data.id],
        ['new two', live[2].data.id],
        ['new three', live[4].data.id],
      ],
      'a replay shows the same events under the same ids (progress is never kept)',
    );
  });

  it("an old replica's parser reads what a new replica publishes on its channel, in one id order with its own", async () => {
    oldMessages.length = 0;
    // A new replica whose clock runs two hours ahead: the old replicas' next ids must still come after its.
    const ahead = new EventBus(
      new RedisEventRelay(
        streams.redisUrl,
        streams.api.app.get(RedisKeys),
        { perNamespace: 1000, total: 20_000 },
        { clock: () => Date.now() + 2 * HOUR_MS },
      ),
    );
    try {
      await oldReplica.publish(draft('tenant-b', 'old before'));
      publish('tenant-b', 'new one');
      publish(STORE_WIDE, 'new store-wide', 'backup_created');
      publish('tenant-b', 'new two');
      await waitFor(() => oldMessages.length === 4, 'four messages on the old channel');
      ahead.publish('job_progress', { preview: 'new, two hours ahead' }, 'tenant-b');
      await waitFor(() => oldMessages.length === 5, 'five messages on the old channel');
      await oldReplica.publish(draft('tenant-b', 'old after'));
      await waitFor(() => oldMessages.length === 6, 'six messages on the old channel');
    } finally {
      await ahead.onApplicationShutdown();
    }
    const read = oldMessages.map((message) => oldReplica.parse(message));
    assert.ok(
      read.every((event) => event !== undefined),
      `the old parser takes each: ${oldMessages.join(' | ')}`,
    );
    assert.deepEqual(
      read.map((event) => [event!.namespace, event!.type, event!.payload.preview]),
      [
        ['tenant-b', 'memory_created', 'old before'],
        ['tenant-b', 'memory_created', 'new one'],
        [STORE_WIDE, 'backup_created', 'new store-wide'],
        ['tenant-b', 'memory_created', 'new two'],
        ['tenant-b', 'job_progress', 'new, two hours ahead'],
        ['tenant-b', 'memory_created', 'old after'],
      ],
    );
    const ids = read.map((event) => event!.id);
    // An old replica drops an id not above the last it delivered: every one of these rises.
    assert.ok(
      ids.every((id, i) => i === 0 || id > ids[i - 1]),
      `one sequence: ${ids}`,
    );
  });

  it('publishes nothing on the old channel with ENGRAM_EVENTS_LEGACY_CHANNEL off', async () => {
    oldMessages.length = 0;
    const keys = streams.api.app.get(RedisKeys);
    const upgraded = new EventBus(
      new RedisEventRelay(streams.redisUrl, keys, { perNamespace: 1000, total: 20_000 }, { legacyChannel: false }),
    );
    try {
      const watchB = await connect(keyOf['tenant-b']);
      upgraded.publish('memory_created', { preview: 'after the roll' }, 'tenant-b');
      await watchB.waitFor((frames) => frames.length === 1);
      publish('tenant-b', 'during the roll');
      await waitFor(() => oldMessages.length === 1, 'a message on the old channel');
      assert.deepEqual(previews(watchB).slice(0, 1), ['after the roll']);
      assert.equal(oldReplica.parse(oldMessages[0])?.payload.preview, 'during the roll');
    } finally {
      await upgraded.onApplicationShutdown();
    }
  });
});
