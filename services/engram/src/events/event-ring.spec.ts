import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngramEvent } from './engram-event';
import { nextEventId } from './event-ids';
import { EventRing } from './event-ring';

const event = (id: number): EngramEvent => ({
  id,
  type: 'memory_created',
  timestamp: new Date(0).toISOString(),
  namespace: 'default',
  payload: {},
});
const ids = (events: EngramEvent[]) => events.map((kept) => kept.id);

describe('event ring (Last-Event-ID replay)', () => {
  it('returns the kept events after an id, oldest first, complete while nothing was forgotten', () => {
    const ring = new EventRing(4);
    for (const id of [10, 20, 30]) ring.add(event(id));
    assert.deepEqual(ring.after(10), { events: [event(20), event(30)], complete: true });
    assert.deepEqual(ids(ring.after(0).events), [10, 20, 30]);
    assert.deepEqual(ids(ring.after(15).events), [20, 30], 'ids need not be contiguous');
    assert.deepEqual(ring.after(30), { events: [], complete: true });
  });

  it('forgets the oldest beyond its capacity and says when a client missed forgotten ones', () => {
    const ring = new EventRing(3);
    for (const id of [1, 2, 3, 4, 5]) ring.add(event(id));
    assert.deepEqual(ids(ring.after(0).events), [3, 4, 5]);
    assert.equal(ring.after(1).complete, false, 'event 2 was forgotten');
    assert.equal(ring.after(2).complete, true);
    assert.deepEqual(ids(ring.after(3).events), [4, 5]);
  });

  it('keeps nothing with capacity 0, and reports every replay with missed events as incomplete', () => {
    const ring = new EventRing(0);
    ring.add(event(7));
    assert.deepEqual(ring.after(6), { events: [], complete: false });
    assert.deepEqual(ring.after(7), { events: [], complete: true });
  });
});

describe('event ids', () => {
  it('increase by one within a microsecond and jump to the clock after a pause or restart', () => {
    assert.equal(nextEventId(0, 1_700_000_000_000), 1_700_000_000_000_000);
    assert.equal(nextEventId(1_700_000_000_000_000, 1_700_000_000_000), 1_700_000_000_000_001);
    assert.equal(nextEventId(1_700_000_000_000_001, 1_700_000_000_005), 1_700_000_000_005_000);
    assert.equal(nextEventId(1_800_000_000_000_000, 1_700_000_000_000), 1_800_000_000_000_001, 'never backwards');
    assert.ok(Number.isSafeInteger(nextEventId(0, Date.UTC(2200, 0, 1))));
  });
});
