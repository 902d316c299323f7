import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JudgeSlots } from './judge-slots';

/** A task that runs until its release is called. */
function heldTask() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { run: () => done, release };
}

describe('JudgeSlots', () => {
  it('runs at most `size` tasks at once, the others in order as slots free', async () => {
    const slots = new JudgeSlots(2);
    const started: number[] = [];
    const tasks = [0, 1, 2, 3].map(() => heldTask());
    const runs = tasks.map((task, i) =>
      slots.run(async () => {
        started.push(i);
        await task.run();
      }),
    );
    await new Promise(setImmediate);
    assert.deepEqual(started, [0, 1]);
    tasks[1].release();
    await runs[1];
    await new Promise(setImmediate);
    assert.deepEqual(started, [0, 1, 2]);
    for (const task of tasks) task.release();
    await Promise.all(runs);
    assert.deepEqual(started, [0, 1, 2, 3]);
  });

  it('ends a wait when its signal aborts, without losing the slot for the others', async () => {
    const slots = new JudgeSlots(1);
    const holder = heldTask();
    const first = slots.run(holder.run);
    const controller = new AbortController();
    const abandoned = slots.run(async () => 'never', controller.signal);
    controller.abort(new Error('deadline'));
    await assert.rejects(abandoned, /deadline/);
    holder.release();
    await first;
    assert.equal(await slots.run(async () => 'next'), 'next');
    await assert.rejects(
      slots.run(async () => 'late', controller.signal),
      /deadline/,
    );
  });
});
