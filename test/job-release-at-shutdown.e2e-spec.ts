import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { E2eStorage, e2eStoragesWithSessions } from './e2e-storage';
import { RunningEngram } from './engram-cli';
import { killedApiSession } from './killed-api-session';
import { call } from './process-harness';

const BOOTSTRAP = 'e2e-job-release-at-shutdown-bootstrap-key-0123456789';
const ADMIN = { 'X-API-Key': BOOTSTRAP };
/** How long a take-over may take to report a job: it comes within about 10 s, slower on a busy machine. */
const TAKE_OVER_WAIT_MS = 60_000;

for (const storage of e2eStoragesWithSessions()) {
  describe(`a job running when its api is stopped (SIGTERM) is taken over, not cancelled (${storage.name}, real processes)`, () =>
    releasedAtShutdown(storage));
}

function releasedAtShutdown(storage: E2eStorage): void {
  const { serve, stopReleasing, heldImport } = killedApiSession(storage, BOOTSTRAP);

  /** `api`'s engram_jobs_total of imports ended with `outcome` (0 when absent). */
  async function importsCounted(api: RunningEngram, outcome: string): Promise<number> {
    const text = await (await fetch(`${api.url}/metrics`, { headers: ADMIN })).text();
    const series = `engram_jobs_total{queue="engram-maintenance",name="import",outcome="${outcome}"} `;
    const line = text.split('\n').find((candidate) => candidate.startsWith(series));
    return line === undefined ? 0 : Number(line.slice(series.length));
  }

  /** `api`'s count of imports ended `interrupted` once it has taken a stopped api's jobs over (or when the wait is over). */
  async function interruptedOnceReported(api: RunningEngram): Promise<number> {
    const deadline = Date.now() + TAKE_OVER_WAIT_MS;
    for (;;) {
      const counted = await importsCounted(api, 'interrupted');
      if (counted > 0 || Date.now() > deadline) return counted;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  function assertInterrupted(job: any): void {
    assert.deepEqual([job.state, job.error_code], ['failed', 'interrupted'], JSON.stringify(job));
    assert.match(job.error, /^Interrupted: the api stopped .* while this job was running/);
  }

  it('reads interrupted on another api as soon as its api has stopped, never cancelled, counted interrupted there, not failed', async () => {
    const stopping = await serve();
    const other = await serve();
    const id = await heldImport(stopping, 'other');
    assert.equal(await stopReleasing(stopping), 0);
    assert.match(stopping.output(), /Job released at shutdown/);
    assert.doesNotMatch(stopping.output(), /"msg":"Job (failed|cancelled)"/);

    // Read through the other api as soon as the stopping one has exited: ended, not running until a take-over.
    assertInterrupted((await call(other.url, 'GET', `/api/jobs/${id}`, undefined, ADMIN)).body);
    assert.equal(await interruptedOnceReported(other), 1, 'counted interrupted by the api that took it over');
    assert.equal(await importsCounted(other, 'failed'), 0, 'a restart is no failure of the job (EngramJobsFailing)');
    assert.equal(await importsCounted(other, 'cancelled'), 0, 'nobody cancelled it');
    // The next case wants no api left to take its job over.
    assert.equal(await other.stop(), 0);
  });

  it('the only api, restarted, lists it interrupted as it starts', async () => {
    const api = await serve();
    const id = await heldImport(api, 'restart');
    assert.equal(await stopReleasing(api), 0);

    const restarted = await serve();
    assertInterrupted((await call(restarted.url, 'GET', `/api/jobs/${id}`, undefined, ADMIN)).body);
    assert.equal(await importsCounted(restarted, 'interrupted'), 1, 'counted interrupted by the restarted api');
    assert.equal(await importsCounted(restarted, 'failed'), 0);
  });
}
