import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { positionsRise } from '../testing/sse-client';
import { TenantStreams } from '../testing/tenant-streams';
import { STORE_WIDE } from './engram-event';

const API_KEY = 'event-ids-key-0123456789abcdef';
const OWNER = { 'X-API-Key': API_KEY };
const ROUNDS = 20;
const BETWEEN = 5;

for (const shared of [false, true]) {
  describe(`event ids per namespace over real HTTP (${shared ? 'through a real redis-server' : 'in process'})`, () => {
    const streams = new TenantStreams({
      ownerKey: API_KEY,
      namespaces: ['tenant-a', 'tenant-b'],
      shared,
      env: { ENGRAM_EVENTS_RING_SIZE: '1000' },
    });
    const { keyOf, connect, publish, resume } = streams;

    it("a tenant's ids count only its own events: another's published between two of them never show", async () => {
      const watchA = await connect(keyOf['tenant-a']);
      const watchB = await connect(keyOf['tenant-b']);
      for (let round = 0; round < ROUNDS; round++) {
        publish('tenant-a', `a ${round} first`);
        for (let i = 0; i < BETWEEN; i++) publish('tenant-b', `b ${round}.${i}`);
        publish('tenant-a', `a ${round} second`);
      }
      await watchA.waitFor((frames) => frames.length === 2 * ROUNDS);
      await watchB.waitFor((frames) => frames.length === ROUNDS * BETWEEN);
      const ids = watchA.named().map((frame) => Number(frame.id));
      assert.deepEqual(
        watchA.named().map((frame) => frame.data.id),
        ids,
      );
      for (let round = 0; round < ROUNDS; round++) {
        const [first, second] = ids.slice(2 * round, 2 * round + 2);
        // max(previous + 1, now in µs): the next of its own, or the clock (whole milliseconds), never +1 per
        // event of tenant-b's between the two.
        assert.ok(second === first + 1 || second % 1000 === 0, `round ${round}: ${first} then ${second}`);
      }
    });

    it("replays a tenant's missed events exactly by Last-Event-ID, however many another published meanwhile", async () => {
      const watcher = await connect(keyOf['tenant-a']);
      publish('tenant-a', 'a seen');
      const [seen] = await watcher.waitFor((frames) => frames.length === 1);
      watcher.close();
      publish('tenant-a', 'a missed one');
      for (let i = 0; i < 50; i++) publish('tenant-b', `b meanwhile ${i}`);
      publish('tenant-a', 'a missed two');
      const replayed = await resume(keyOf['tenant-a'], 'tenant-a', seen.id!);
      assert.deepEqual(
        replayed.map((frame) => [frame.event, frame.data.payload.preview]),
        [
          ['memory_created', 'a missed one'],
          ['memory_created', 'a missed two'],
        ],
        'no replay_incomplete notice, nothing of tenant-b',
      );
      assert.ok(positionsRise([seen.id!, ...replayed.map((frame) => frame.id!)]));
    });

    it('resumes a key bound to no namespace in its namespace and in the store-wide events, each from its own id', async () => {
      const earlier = await connect(OWNER);
      publish(STORE_WIDE, 'before the stream', 'backup_created');
      const [before] = await earlier.waitFor((frames) => frames.length === 1);
      earlier.close();
      const watcher = await connect(OWNER);
      publish('default', 'default seen');
      await watcher.waitFor((frames) => frames.length === 1);
      watcher.close();
      const [seen] = watcher.named();
      assert.equal(
        seen.id,
        `${seen.data.id}-${before.id!.split('-')[1]}`,
        "its namespace's id, then the store-wide one's",
      );
      publish(STORE_WIDE, 'nightly', 'backup_created');
      publish('default', 'default missed');
      for (let i = 0; i < 20; i++) publish('tenant-b', `b meanwhile ${i}`);
      publish(STORE_WIDE, 'restored', 'restore_completed');
      const replayed = await resume(OWNER, 'default', seen.id!);
      assert.deepEqual(
        replayed.map((frame) => [frame.event, frame.data.payload.preview]),
        [
          ['backup_created', 'nightly'],
          ['memory_created', 'default missed'],
          ['restore_completed', 'restored'],
        ],
      );
      const positions = [seen.id!, ...replayed.map((frame) => frame.id!)];
      assert.ok(positionsRise(positions), `each event moves its own part: ${positions}`);

      // Past the store-wide events but not the namespace's: only the namespace's missed one comes back.
      const [ownSeen] = seen.id!.split('-');
      const [, storeWideSeen] = replayed.at(-1)!.id!.split('-');
      const partly = await resume(OWNER, 'default', `${ownSeen}-${storeWideSeen}`);
      assert.deepEqual(
        partly.map((frame) => [frame.event, frame.data.payload.preview]),
        [
          ['memory_created', 'default missed'],
          ['memory_created', `live marker ${streams.markersSent - 1}`],
        ],
        'the store-wide events already seen are not sent again',
      );
    });
  });
}
