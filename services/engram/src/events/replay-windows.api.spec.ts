import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { positionsRise } from '../testing/sse-client';
import { TenantStreams } from '../testing/tenant-streams';
import { STORE_WIDE } from './engram-event';

const API_KEY = 'replay-windows-key-0123456789';
const OWNER = { 'X-API-Key': API_KEY };
const WINDOW = 5;

for (const shared of [false, true]) {
  describe(`replay windows per namespace (${shared ? 'shared through a real redis-server' : 'in process'})`, () => {
    const streams = new TenantStreams({
      ownerKey: API_KEY,
      namespaces: ['tenant-a', 'tenant-b', 'tenant-c'],
      shared,
      env: { ENGRAM_EVENTS_RING_SIZE: String(WINDOW), ENGRAM_EVENTS_RING_TOTAL: '100' },
    });
    const { keyOf, connect, publish, resume: reconnect } = streams;
    /** Publishes `count` events in `namespace` and waits until a stream of it received the last. */
    const burst = async (namespace: string, count: number) => {
      const watcher = await connect(keyOf[namespace]);
      for (let i = 0; i < count; i++) publish(namespace, `${namespace} burst ${i}`);
      await watcher.waitFor((frames) => frames.length === count);
      watcher.close();
    };
    /** The id of a first event seen live by a client of `headers`, which then goes away. */
    const seenThenGone = async (headers: Record<string, string>, namespace: string) => {
      const client = await connect(headers);
      publish(namespace, `${namespace} seen`);
      const [seen] = await client.waitFor((frames) => frames.length >= 1);
      client.close();
      return seen.id!;
    };

    it("a burst in one namespace costs another namespace's reconnecting client none of its replay", async () => {
      const seen = await seenThenGone(keyOf['tenant-b'], 'tenant-b');
      publish('tenant-b', 'tenant-b missed');
      await burst('tenant-a', 40);
      const replayed = await reconnect(keyOf['tenant-b'], 'tenant-b', seen);
      assert.deepEqual(
        replayed.map((frame) => [frame.event, frame.data.payload?.preview]),
        [['memory_created', 'tenant-b missed']],
        'no replay_incomplete notice, nothing of tenant-a',
      );
    });

    it("tells a client that lost events only of its own namespace's: oldest_kept_id is its own", async () => {
      const seen = await seenThenGone(keyOf['tenant-c'], 'tenant-c');
      const watcher = await connect(keyOf['tenant-a']);
      // Enough of tenant-a's that a log shared by both namespaces would have let its oldest events go.
      for (let i = 0; i < 8; i++) {
        publish('tenant-c', `tenant-c missed ${i}`);
        for (let j = 0; j < 20; j++) publish('tenant-a', `tenant-a between ${i}.${j}`);
      }
      await watcher.waitFor((frames) => frames.length === 160);
      const [notice, ...replayed] = await reconnect(keyOf['tenant-c'], 'tenant-c', seen);
      assert.equal(notice.event, 'replay_incomplete');
      assert.equal(notice.data.oldest_kept_id, replayed[0].data.id, 'the oldest kept id is its own first replayed');
      assert.equal(String(notice.data.oldest_kept_id), replayed[0].id);
      assert.deepEqual(
        replayed.map((frame) => frame.data.payload.preview),
        [3, 4, 5, 6, 7].map((i) => `tenant-c missed ${i}`),
        "the namespace's own newest events, as many as its window keeps",
      );
    });

    it('replays to a credential bound to no namespace its namespace and the whole store, merged in order', async () => {
      const seen = await seenThenGone(OWNER, 'default');
      publish(STORE_WIDE, 'nightly', 'backup_created');
      publish('default', 'default missed');
      publish(STORE_WIDE, 'restored', 'restore_completed');
      await burst('tenant-a', 40);
      const replayed = await reconnect(OWNER, 'default', seen);
      assert.deepEqual(
        replayed.map((frame) => [frame.event, frame.data.payload?.preview]),
        [
          ['backup_created', 'nightly'],
          ['memory_created', 'default missed'],
          ['restore_completed', 'restored'],
        ],
      );
      const positions = [seen, ...replayed.map((frame) => frame.id!)];
      assert.ok(positionsRise(positions), `each event moves its own namespace's part of the id: ${positions}`);
      const bound = await reconnect(keyOf['tenant-b'], 'tenant-b', seen);
      assert.ok(
        bound.every((frame) => frame.event === 'memory_created' && frame.data.namespace === 'tenant-b'),
        'a bound credential replays nothing of the whole store',
      );
    });

    it('drops the windows of the namespaces idle longest past the total, and tells their clients so', async () => {
      const idle = { ...OWNER, 'X-Engram-Namespace': 'idle-first' };
      const seen = await seenThenGone(idle, 'idle-first');
      publish('idle-first', 'idle-first missed');
      const watcher = await connect({ ...OWNER, 'X-Engram-Namespace': 'busy-11' });
      for (let n = 0; n < 12; n++) for (let i = 0; i < WINDOW; i++) publish(`busy-${n}`, `busy-${n} ${i}`);
      await watcher.waitFor((frames) => frames.length === WINDOW);
      watcher.close();
      const busiest = await connect({ ...OWNER, 'X-Engram-Namespace': 'busy-11' }, seen);
      await busiest.waitFor((frames) => frames.length === WINDOW);
      busiest.close();
      assert.ok(!busiest.named().some((frame) => frame.event === 'replay_incomplete'));
      // Nothing published meanwhile: through Redis the replay is read after the stream opens, and a live
      // event published first would be its window's oldest kept event by then.
      const dropped = await connect(idle, seen);
      await dropped.waitFor((frames) => frames.length >= 1);
      dropped.close();
      assert.deepEqual(
        dropped.named().map((frame) => [frame.event, frame.data.oldest_kept_id]),
        [['replay_incomplete', null]],
        'its window went whole: it is told, and shown nothing kept',
      );
    });
  });
}
