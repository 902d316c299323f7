import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NamespaceSequences } from './event-ids';

const MS = 1_796_000_000_000;

describe('event ids, a sequence per namespace', () => {
  it("numbers each namespace's events by itself: max(its previous + 1, now in µs)", () => {
    const sequences = new NamespaceSequences();
    assert.equal(sequences.next('a', MS), MS * 1000);
    for (let i = 0; i < 5; i++) sequences.next('b', MS);
    assert.equal(sequences.next('a', MS), MS * 1000 + 1, "b's five events are not counted in a's ids");
    assert.equal(sequences.next('b', MS + 1), (MS + 1) * 1000);
  });

  it('forgets the sequences the clock has passed, so it holds only those of the latest microseconds', () => {
    const sequences = new NamespaceSequences();
    for (let n = 0; n < 10_000; n++) sequences.next(`ns-${n}`, MS);
    sequences.next('busy', MS + 1);
    assert.equal(sequences.size, 1);
  });

  it('never hands out an id twice in a namespace when the clock steps back, forgotten or not', () => {
    const sequences = new NamespaceSequences();
    const forgotten = sequences.next('forgotten', MS + 5);
    const kept = sequences.next('kept', MS + 10);
    assert.equal(sequences.size, 1, 'the clock passed the first');
    assert.ok(sequences.next('kept', MS) > kept);
    assert.ok(sequences.next('forgotten', MS) > forgotten);
  });

  it("gives no other namespace's count to a namespace publishing after the clock stepped back", () => {
    const sequences = new NamespaceSequences();
    for (let i = 0; i < 5; i++) sequences.next('b', MS + 10);
    sequences.next('c', MS + 11);
    assert.equal(sequences.next('a', MS) % 1000, 0, "a clock reading, not b's last id + 1");
  });
});
