import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlotLeases } from '../storage/slot-leases';
import { waitFor } from '../testing/wait-for';
import { JudgeSlotEvents, JudgeSlots, JudgeWaitGaveWay } from './judge-slots';
import { LeasedSlotGate } from './leased-slot-gate';

/** A task that runs until its release is called. */
function heldTask() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { run: () => done, release };
}

/** Slots whose tasks each hold their slot until released, recording which started, in order. */
function heldSlots(size: number, maxWaitingPerNamespace = 100) {
  const waitingSeen: number[] = [];
  let gaveWay = 0;
  const events: JudgeSlotEvents = { waitingChanged: (waiting) => waitingSeen.push(waiting), gaveWay: () => gaveWay++ };
  const slots = new JudgeSlots({ size, maxWaitingPerNamespace }, events);
  const started: string[] = [];
  const held = new Map<string, () => void>();
  const run = (namespace: string, name: string) =>
    slots.run(namespace, async () => {
      started.push(name);
      const task = heldTask();
      held.set(name, task.release);
      await task.run();
    });
  /** Ends the named running task and lets the slot it frees be handed on. */
  const finish = async (name: string) => {
    held.get(name)!();
    await new Promise(setImmediate);
  };
  return { slots, run, started, finish, waitingSeen, gaveWay: () => gaveWay };
}

describe('JudgeSlots', () => {
  it('runs at most `size` tasks at once, the others in order as slots free', async () => {
    const { run, started, finish } = heldSlots(2);
    const runs = ['t0', 't1', 't2', 't3'].map((name) => run('team', name));
    await new Promise(setImmediate);
    assert.deepEqual(started, ['t0', 't1']);
    await finish('t1');
    assert.deepEqual(started, ['t0', 't1', 't2']);
    for (const name of ['t0', 't2', 't3']) await finish(name);
    await Promise.all(runs);
    assert.deepEqual(started, ['t0', 't1', 't2', 't3']);
  });

  it("gives a namespace's single judgement the next turn after a burst of another namespace's, not the last", async () => {
    const { run, started, finish } = heldSlots(1);
    const burst = Array.from({ length: 10 }, (_, i) => run('bulk', `bulk${i}`));
    await new Promise(setImmediate);
    const single = run('team', 'team0');
    await finish('bulk0');
    assert.deepEqual(started, ['bulk0', 'bulk1'], "bulk's oldest waiting had the turn before team's came");
    await finish('bulk1');
    assert.deepEqual(started, ['bulk0', 'bulk1', 'team0']);
    for (let i = 2; i < 10; i++) await finish(started.at(-1)!);
    await finish('bulk9');
    await Promise.all([...burst, single]);
    assert.deepEqual(started, ['bulk0', 'bulk1', 'team0', ...Array.from({ length: 8 }, (_, i) => `bulk${i + 2}`)]);
  });

  it('takes the namespaces waiting in turn, each its oldest first', async () => {
    const { run, started, finish } = heldSlots(1);
    const runs = [run('a', 'a0'), run('a', 'a1'), run('a', 'a2'), run('b', 'b1'), run('b', 'b2'), run('c', 'c1')];
    await new Promise(setImmediate);
    for (const name of ['a0', 'a1', 'b1', 'c1', 'a2', 'b2']) await finish(name);
    await Promise.all(runs);
    assert.deepEqual(started, ['a0', 'a1', 'b1', 'c1', 'a2', 'b2']);
  });

  it("makes a namespace's oldest waiting judgement give way past its share, never another namespace's", async () => {
    const { run, started, finish, waitingSeen, gaveWay } = heldSlots(1, 3);
    const holder = run('bulk', 'holder');
    await new Promise(setImmediate);
    const other = run('team', 'team0');
    const burst = Array.from({ length: 6 }, (_, i) => run('bulk', `bulk${i}`));
    const outcomes = await Promise.allSettled(burst.slice(0, 3));
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.ok(outcome.reason instanceof JudgeWaitGaveWay);
      assert.match(outcome.reason.message, /ENGRAM_CONFLICTS_JUDGE_MAX_WAITING_PER_NAMESPACE/);
    }
    assert.equal(gaveWay(), 3);
    assert.equal(Math.max(...waitingSeen), 4, "team's one and bulk's share of three");
    for (const name of ['holder', 'team0', 'bulk3', 'bulk4', 'bulk5']) await finish(name);
    await Promise.all([holder, other, ...burst.slice(3)]);
    assert.deepEqual(started, ['holder', 'team0', 'bulk3', 'bulk4', 'bulk5']);
    assert.equal(waitingSeen.at(-1), 0);
  });

  it('counts a judgement as waiting once the shared slots were found held, not while one is asked for', async () => {
    const answers: ((held: boolean) => void)[] = [];
    const leases: SlotLeases = {
      attend: async () => 1,
      leave: async () => undefined,
      claim: () => new Promise((resolve) => answers.push((held) => resolve({ held, size: 1 }))),
      renew: async () => undefined,
      release: async () => undefined,
    };
    const waitingSeen: number[] = [];
    const events: JudgeSlotEvents = { waitingChanged: (waiting) => waitingSeen.push(waiting), gaveWay: () => 0 };
    const gate = new LeasedSlotGate(leases, 'conflict-judge', 1, { leaseMs: 60_000, pollMs: 10 });
    const slots = new JudgeSlots({ size: 1, maxWaitingPerNamespace: 100 }, events, gate);
    const holder = heldTask();
    const first = slots.run('team', holder.run);
    await waitFor(() => answers.length === 1, 'the first claim');
    assert.deepEqual(waitingSeen, [], 'asking for a slot is not waiting for one');
    answers.shift()!(true);
    const second = slots.run('team', async () => 'second');
    await waitFor(() => answers.length === 1, 'the second claim');
    assert.deepEqual(waitingSeen, []);
    answers.shift()!(false);
    await waitFor(() => waitingSeen.length > 0, 'the gauge to move');
    assert.deepEqual(waitingSeen, [1], 'every slot was held: the second waits for one to come free');
    holder.release();
    await first;
    await waitFor(() => answers.length === 1, 'the claim after the slot came free');
    answers.shift()!(true);
    assert.equal(await second, 'second');
    assert.deepEqual(waitingSeen, [1, 0]);
  });

  it('ends a wait when its signal aborts, without losing the slot for the others', async () => {
    const slots = new JudgeSlots({ size: 1, maxWaitingPerNamespace: 2 });
    const holder = heldTask();
    const first = slots.run('team', holder.run);
    const controller = new AbortController();
    const abandoned = slots.run('team', async () => 'never', controller.signal);
    controller.abort(new Error('deadline'));
    await assert.rejects(abandoned, /deadline/);
    holder.release();
    await first;
    assert.equal(await slots.run('team', async () => 'next'), 'next');
    await assert.rejects(
      slots.run('team', async () => 'late', controller.signal),
      /deadline/,
    );
  });
});
