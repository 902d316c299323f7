import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngramEvent } from './engram-event';
import { seenUpTo } from './event-cursor';
import { droppedRemembered, ReplayWindows, SMALLEST_WINDOW } from './replay-windows';

let lastId = 0;
const event = (namespace: string): EngramEvent => ({
  id: ++lastId,
  type: 'memory_created',
  timestamp: new Date(0).toISOString(),
  namespace,
  payload: {},
});
const ids = (events: EngramEvent[]) => events.map((kept) => kept.id);

describe('replay windows per namespace', () => {
  it("keeps each namespace's newest events, whatever the others publish", () => {
    const windows = new ReplayWindows({ perNamespace: 3, total: 100 });
    const mine = [event('mine'), event('mine')];
    for (const kept of mine) windows.add(kept);
    for (let i = 0; i < 50; i++) windows.add(event('theirs'));
    assert.deepEqual(windows.after(seenUpTo(0, ['mine'])), { events: mine, complete: true });
    assert.equal(windows.after(seenUpTo(0, ['theirs'])).events.length, 3);
    assert.equal(windows.after(seenUpTo(0, ['theirs'])).complete, false);
    assert.equal(windows.newestId('mine'), mine[1].id);
    assert.equal(windows.newestId('nobody'), 0);
  });

  it('merges the windows read together in id order, complete only when each is', () => {
    const windows = new ReplayWindows({ perNamespace: 2, total: 100 });
    const sent = ['a', '*', 'a', 'b', '*'].map(event);
    for (const kept of sent) windows.add(kept);
    assert.deepEqual(ids(windows.after(seenUpTo(0, ['a', '*'])).events), ids([sent[0], sent[1], sent[2], sent[4]]));
    assert.equal(windows.newestId('*'), sent[4].id);
    windows.add(event('*'));
    assert.equal(windows.after(seenUpTo(sent[0].id, ['a', '*'])).complete, false, 'the store-wide window lost one');
    assert.equal(windows.after(seenUpTo(sent[0].id, ['a'])).complete, true);
  });

  it('drops whole windows, the least recently active first, to stay within the total; their replays are incomplete', () => {
    const windows = new ReplayWindows({ perNamespace: 12, total: 30 });
    const before = lastId;
    windows.add(event('first'));
    windows.add(event('second'));
    windows.add(event('first'));
    for (let i = 0; i < 12; i++) windows.add(event('third'));
    windows.add(event('fourth'));
    assert.deepEqual(
      windows.footprint,
      { events: 13, windows: 2, dropped: 2 },
      'second (idle longest) went for the third, first for the fourth: each small window counts as ten',
    );
    assert.deepEqual(windows.after(seenUpTo(before, ['second'])), { events: [], complete: false });
    assert.deepEqual(windows.after(seenUpTo(before, ['first'])), { events: [], complete: false });
    assert.equal(windows.after(seenUpTo(before, ['third'])).events.length, 12);
    assert.equal(windows.after(seenUpTo(before, ['third'])).complete, true);
    assert.equal(windows.after(seenUpTo(before, ['never-seen'])).complete, true);
    const returned = event('first');
    windows.add(returned);
    assert.deepEqual(windows.after(seenUpTo(before, ['first'])), { events: [returned], complete: false });
    assert.deepEqual(windows.after(seenUpTo(returned.id - 1, ['first'])), { events: [returned], complete: true });
  });

  it('holds memory within its bounds however many namespaces publish', () => {
    const bounds = { perNamespace: 5, total: 1000 };
    const windows = new ReplayWindows(bounds);
    const start = lastId;
    let most = { events: 0, windows: 0, dropped: 0 };
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 20_000; n++) {
        windows.add(event(`ns-${n % 7 === 0 ? 'busy' : n}`));
        const { footprint } = windows;
        most = {
          events: Math.max(most.events, footprint.events),
          windows: Math.max(most.windows, footprint.windows),
          dropped: Math.max(most.dropped, footprint.dropped),
        };
      }
    }
    assert.deepEqual(most, {
      events: 1000 / SMALLEST_WINDOW + 4,
      windows: 1000 / SMALLEST_WINDOW,
      dropped: droppedRemembered(bounds),
    });
    assert.equal(windows.after(seenUpTo(start, ['ns-1'])).complete, false, 'a forgotten drop still counts as lost');
    assert.equal(windows.after(seenUpTo(lastId - 2, ['ns-19998'])).complete, true);
    assert.equal(windows.after(seenUpTo(start, ['ns-busy'])).events.length, 5, 'the busiest namespace kept its window');
  });

  it('keeps nothing with a window of 0, and tells each namespace only of its own missed events', () => {
    const windows = new ReplayWindows({ perNamespace: 0, total: 0 });
    const mine = event('mine');
    windows.add(mine);
    windows.add(event('theirs'));
    assert.deepEqual(windows.after(seenUpTo(mine.id - 1, ['mine'])), { events: [], complete: false });
    assert.deepEqual(windows.after(seenUpTo(mine.id, ['mine'])), { events: [], complete: true });
    assert.equal(windows.footprint.events, 0);
  });
});
