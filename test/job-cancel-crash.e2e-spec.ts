import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { E2eStorage, e2eStoragesWithSessions } from './e2e-storage';
import { RunningEngram } from './engram-cli';
import { killedApiSession } from './killed-api-session';
import { call } from './process-harness';

const BOOTSTRAP = 'e2e-job-cancel-crash-bootstrap-key-0123456789';
const ADMIN = { 'X-API-Key': BOOTSTRAP };

for (const storage of e2eStoragesWithSessions()) {
  describe(`a job whose cancel was answered, its api killed before the job stopped (${storage.name}, real processes)`, () =>
    cancelThenKill(storage));
}

function cancelThenKill(storage: E2eStorage): void {
  const { apis, serve, kill, heldImport } = killedApiSession(storage, BOOTSTRAP);

  async function cancel(api: RunningEngram, id: string): Promise<void> {
    const answered = await call(api.url, 'DELETE', `/api/jobs/${id}`, undefined, ADMIN);
    assert.deepEqual([answered.status, answered.body], [200, { success: true, job_id: id, status: 'cancelling' }]);
  }

  /** The job as `api` answers it once it has ended. */
  async function ended(api: RunningEngram, id: string): Promise<any> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const job = (await call(api.url, 'GET', `/api/jobs/${id}`, undefined, ADMIN)).body;
      if (!['waiting', 'active'].includes(job.state)) return job;
      assert.ok(Date.now() < deadline, `job ${id} still ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  function assertCancelled(job: any): void {
    assert.deepEqual(
      { state: job.state, error: job.error, error_code: job.error_code },
      { state: 'cancelled', error: 'Cancelled on request', error_code: undefined },
      JSON.stringify(job),
    );
    assert.ok(job.finished_at, 'ended');
  }

  it('cancelled through the api running it, that api killed: cancelled at its restart, and audited so', async () => {
    const api = await serve();
    const id = await heldImport(api, 'restart');
    await cancel(api, id);
    await kill(api);

    const restarted = await serve();
    assertCancelled(await ended(restarted, id));
    const audit = await call(restarted.url, 'GET', '/api/admin/audit?action=import', undefined, ADMIN);
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    assert.deepEqual(
      audit.body.events
        .filter((entry: any) => entry.target === id)
        .map((entry: any) => [entry.outcome, entry.details.error]),
      [
        ['failure', 'Cancelled on request'],
        ['requested', undefined],
      ],
    );
  });

  it('cancelled through another api, the api running it killed: the other api ends it cancelled', async () => {
    const [running] = apis;
    const other = await serve();
    const id = await heldImport(running, 'takeover');
    await cancel(other, id);
    await kill(running);

    // The other api finds the killed one's jobs at its next look (about every 10 s).
    assertCancelled(await ended(other, id));
    const again = await call(other.url, 'DELETE', `/api/jobs/${id}`, undefined, ADMIN);
    assert.equal(again.status, 409, JSON.stringify(again.body));
  });
}
