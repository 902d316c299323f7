import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { E2eStorage, e2eStoragesWithSessions } from './e2e-storage';
import { RunningEngram } from './engram-cli';
import { killedApiSession } from './killed-api-session';
import { call } from './process-harness';

const BOOTSTRAP = 'e2e-job-list-replicas-bootstrap-key-0123456789';
/** How long a job may take to be stored as it is wanted: progress is stored about once a second. */
const STORED_WAIT_MS = 60_000;

for (const storage of e2eStoragesWithSessions()) {
  describe(`every api without Redis lists the jobs of every api on the store (${storage.name}, real processes)`, () =>
    listedAcrossApis(storage));
}

function listedAcrossApis(storage: E2eStorage): void {
  const { serve, heldImport, admin, writerKey } = killedApiSession(storage, BOOTSTRAP);

  /** `api`'s answer to GET /api/jobs once `accept` holds of its jobs. */
  async function listOnceSo(api: RunningEngram, accept: (jobs: any[]) => boolean, what: string) {
    const deadline = Date.now() + STORED_WAIT_MS;
    for (;;) {
      const listed = await call(api.url, 'GET', '/api/jobs', undefined, admin);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      if (accept(listed.body.jobs)) return listed.body;
      assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(listed.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("lists a job running in the other api with its progress and one the other ran, newest first, through both; a namespace's imports through either", async () => {
    const [runner, other] = [await serve(), await serve()];
    const alice = await writerKey(other, 'alice');
    const bob = await writerKey(other, 'bob');
    const importId = await heldImport(runner, 'listed', alice);
    const scan = await call(other.url, 'POST', '/api/conflicts/scan', undefined, admin);
    assert.equal(scan.status, 202, JSON.stringify(scan.body));
    const scanId = scan.body.job_id;

    const listed = await listOnceSo(
      other,
      (jobs) =>
        jobs.find((job) => job.id === scanId)?.state === 'completed' &&
        /^stored [1-9]\d* of 200 memories/.test(jobs.find((job) => job.id === importId)?.stage),
      "the other api's scan ended and the import's progress stored",
    );
    assert.deepEqual(
      listed.jobs.map((job: any) => [job.id, job.name, job.state]),
      [
        [scanId, 'conflict-scan', 'completed'],
        [importId, 'import', 'active'],
      ],
      'newest first, whichever api runs them',
    );
    assert.equal(listed.total, 2);
    assert.equal(listed.mode, 'inline');
    const running = listed.jobs[1];
    assert.ok(running.progress > 0 && running.progress < 100, `its progress as stored (${running.progress}%)`);
    assert.equal(running.data.namespace, 'alice');

    const throughRunner = await listOnceSo(runner, (jobs) => jobs.length === 2, 'the same through the api running it');
    assert.deepEqual(
      throughRunner.jobs.map((job: any) => [job.id, job.state]),
      [
        [scanId, 'completed'],
        [importId, 'active'],
      ],
    );
    const limited = await call(runner.url, 'GET', '/api/jobs?limit=1', undefined, admin);
    assert.deepEqual(
      limited.body.jobs.map((job: any) => job.id),
      [scanId],
    );

    for (const api of [runner, other]) {
      const history = await call(api.url, 'GET', '/api/import', undefined, alice);
      assert.deepEqual(
        history.body.jobs.map((job: any) => [job.id, job.state]),
        [[importId, 'active']],
        "alice's import history, through either api",
      );
      const elsewhere = await call(api.url, 'GET', '/api/import', undefined, bob);
      assert.deepEqual(elsewhere.body, { jobs: [] }, "another namespace's history holds none of alice's");
    }
    const asBob = await call(other.url, 'GET', '/api/jobs', undefined, bob);
    assert.equal(asBob.status, 403, 'the job list is for admin keys, as before');
  });
}
