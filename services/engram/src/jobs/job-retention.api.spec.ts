import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobMode, JobsHarness, startJobsHarness } from '../testing/job-helpers';

const BOOTSTRAP = 'job-retention-bootstrap-key-0123456789';
/** Finished jobs each namespace keeps (ENGRAM_JOBS_KEEP_FINISHED): small, so a tenant passes it quickly. */
const KEPT = 3;

for (const mode of ['inline'] as JobMode[]) {
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

      const ofB = await scanStatus(tenantB, scanOfB);
      assert.equal(ofB.status, 200, `B's own scan, after A ran ${KEPT + 1}: ${ofB.text}`);
      assert.equal(ofB.body.state, 'completed');
      assert.equal((await scanStatus(tenantA, scansOfA[0])).status, 404, "A's oldest, past the kept, is forgotten");
      for (const id of scansOfA.slice(1)) assert.equal((await scanStatus(tenantA, id)).status, 200);
    });
  });
}
