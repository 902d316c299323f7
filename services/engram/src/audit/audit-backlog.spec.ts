import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreBusy } from '../common/domain-errors';
import { AuditBacklog } from './audit-backlog';
import { AuditAction, NewAuditEvent } from './audit-event';

function entry(at: number): NewAuditEvent {
  return {
    at,
    action: AuditAction.Import,
    outcome: 'failure',
    principal: { kind: 'local', id: 'job-runner', name: null },
    namespace: null,
    clientAddress: 'local',
    target: `job-${at}`,
    details: {},
  };
}

const sqliteBusy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

/** A store that refuses writes as busy while `busy` is set, and records what it took. */
function store() {
  const state = { busy: true, written: [] as NewAuditEvent[], lost: [] as [number, string][] };
  const backlog = (flushMs?: number) =>
    new AuditBacklog({
      write: async (event) => {
        if (state.busy) throw sqliteBusy();
        if (event.target === 'job-refused') throw new Error('CHECK constraint failed');
        state.written.push(event);
      },
      lost: (events, reason) => state.lost.push(...events.map((event): [number, string] => [event.at, reason])),
      flushMs,
    });
  return { state, backlog };
}

describe('AuditBacklog: audit entries a busy store refused', () => {
  it('are written once the store allows, oldest first, with the time the action happened', async () => {
    const { state, backlog } = store();
    const pending = backlog();
    let settled = 0;
    const waits = [pending.add(entry(1), sqliteBusy()), pending.add(entry(2), sqliteBusy())];
    for (const wait of waits) void wait.then(() => settled++);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, 0, 'an action waits while its entry is only held in memory');
    state.busy = false;
    await Promise.all(waits);
    assert.deepEqual(
      state.written.map((event) => event.at),
      [1, 2],
    );
    assert.deepEqual(state.lost, []);
  });

  it('are tried again by a stopping process until the store allows', async () => {
    const { state, backlog } = store();
    const pending = backlog(5_000);
    const stored = pending.add(entry(1), sqliteBusy());
    const flushed = pending.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    state.busy = false;
    await Promise.all([flushed, stored]);
    assert.deepEqual(
      state.written.map((event) => event.at),
      [1],
    );
    assert.deepEqual(state.lost, []);
  });

  it('are reported lost, with why, and fail their action, when the store stays busy past the flush, or refuses one for another reason', async () => {
    const { state, backlog } = store();
    const stuck = backlog(100);
    const busy = sqliteBusy();
    const first = stuck.add(entry(1), busy);
    await stuck.flush();
    await assert.rejects(first, (error) => error === busy);
    assert.deepEqual(state.lost, [[1, 'the store stayed busy until this process stopped']]);
    await assert.rejects(stuck.add(entry(2), busy), (error) => error === busy, 'nothing is kept once flushed');
    assert.deepEqual(state.lost[1], [2, 'database is locked']);

    state.busy = false;
    const refusing = backlog(100);
    const refused = refusing.add({ ...entry(3), target: 'job-refused' }, busy);
    const taken = refusing.add(entry(4), busy);
    await refusing.flush();
    await assert.rejects(refused, /CHECK constraint failed/);
    await taken;
    assert.deepEqual(state.lost.slice(2), [[3, 'CHECK constraint failed']]);
    assert.deepEqual(
      state.written.map((event) => event.at),
      [4],
    );
  });

  it('takes a PostgreSQL StoreBusy (lock or statement timeout) as busy too', async () => {
    const written: NewAuditEvent[] = [];
    let refusals = 1;
    const pending = new AuditBacklog({
      write: async (event) => {
        if (refusals-- > 0) throw new StoreBusy('The database is busy (a statement or lock wait timed out)');
        written.push(event);
      },
      lost: () => assert.fail('nothing is lost'),
    });
    const stored = pending.add(entry(1), new StoreBusy('The database is busy'));
    await pending.flush();
    await stored;
    assert.equal(written.length, 1);
  });
});
