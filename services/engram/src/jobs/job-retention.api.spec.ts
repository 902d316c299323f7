import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobMode, JobsHarness, startJobsHarness, waitForJob } from '../testing/job-helpers';

const BOOTSTRAP = 'job-retention-bootstrap-key-0123456789';
/** Finished jobs each namespace keeps (ENGRAM_JOBS_KEEP_FINISHED): small, so a tenant passes it quickly. */
const KEPT = 3;
/** Jobs the import history looks through (IMPORT_HISTORY_SCAN); more than it, kept by other namespaces. */
const HISTORY_SCAN = 200;
const OTHER_TENANTS = Math.ceil((HISTORY_SCAN + 1) / KEPT);

for (const mode of ['inline', 'bullmq'] as JobMode[]) {
  describe(`finished jobs are kept per namespace (${mode})`, () => {
    let harness: JobsHarness;
    const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    const createKey = async (namespace: string) => {
      const created = await harness.api.request('POST', '/api/admin/keys', {
        ...as(BOOTSTRAP),
        body: { name: namespace, scopes: ['write'], namespace },
      });
      assert.equal(created.status, 201, created.text);
      return created.body.key as string;
    };
    const scanStatus = (key: string, id: string) => harness.api.request('GET', `/api/conflicts/scan/${id}`, as(key));
    /** Requests a conflict scan with the tenant's key and waits for it to end; its job id. */
    const runScan = async (key: string) => {
      const queued = await harness.api.request('POST', '/api/conflicts/scan', as(key));
      assert.equal(queued.status, 202, queued.text);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const job = await scanStatus(key, queued.body.job_id);
        assert.equal(job.status, 200, job.text);
        if (job.body.state === 'completed') return queued.body.job_id as string;
        assert.ok(!['failed', 'cancelled'].includes(job.body.state), job.text);
        assert.ok(Date.now() < deadline, `scan still ${job.body.state}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };

    before(async () => {
      harness = await startJobsHarness(mode, { MCP_API_KEY: BOOTSTRAP, ENGRAM_JOBS_KEEP_FINISHED: String(KEPT) });
    });
    after(() => harness.close());

    it("keeps tenant B's finished scan readable however many jobs tenant A runs", async () => {
      const tenantA = await createKey('tenant-a');
      const tenantB = await createKey('tenant-b');
      const scanOfB = await runScan(tenantB);
      const scansOfA: string[] = [];
      for (let i = 0; i <= KEPT; i++) scansOfA.push(await runScan(tenantA));

      // A's oldest, past the kept, is forgotten (with Redis by the worker, just after the job is seen ended).
      const deadline = Date.now() + 10_000;
      while ((await scanStatus(tenantA, scansOfA[0])).status !== 404) {
        assert.ok(Date.now() < deadline, "A's oldest scan is still kept");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const ofB = await scanStatus(tenantB, scanOfB);
      assert.equal(ofB.status, 200, `B's own scan, after A ran ${KEPT + 1}: ${ofB.text}`);
      assert.equal(ofB.body.state, 'completed');
      for (const id of scansOfA.slice(1)) assert.equal((await scanStatus(tenantA, id)).status, 200);
    });

    it("keeps tenant B's import history whole while other tenants keep more jobs than it looks through", async () => {
      const tenantB = await createKey('tenant-b-imports');
      const form = new FormData();
      form.append('file', new Blob(['# Note\n\nTenant B imported this.']), 'note.md');
      const uploaded = await fetch(`${harness.api.url}/api/import`, { method: 'POST', body: form, ...as(tenantB) });
      const answer = await uploaded.text();
      assert.equal(uploaded.status, 202, answer);
      const importOfB = (JSON.parse(answer) as { job_id: string }).job_id;
      const admin = (method: string, path: string) => harness.api.request(method, path, as(BOOTSTRAP));
      assert.equal((await waitForJob(admin, importOfB)).state, 'completed');

      // Each other tenant keeps its KEPT newest: together more than the history looks through.
      for (let first = 0; first < OTHER_TENANTS; first += 25) {
        const queued: string[] = [];
        for (let tenant = first; tenant < Math.min(first + 25, OTHER_TENANTS); tenant++) {
          for (let i = 0; i < KEPT; i++) {
            const scan = await harness.api.request('POST', '/api/conflicts/scan', {
              headers: { ...as(BOOTSTRAP).headers, 'x-engram-namespace': `tenant-${tenant}` },
            });
            assert.equal(scan.status, 202, scan.text);
            queued.push(scan.body.job_id);
          }
        }
        for (const id of queued) assert.equal((await waitForJob(admin, id)).state, 'completed');
      }

      const history = await harness.api.request('GET', '/api/import', as(tenantB));
      assert.equal(history.status, 200, history.text);
      assert.deepEqual(
        history.body.jobs.map((job: { id: string }) => job.id),
        [importOfB],
      );
    });
  });
}
