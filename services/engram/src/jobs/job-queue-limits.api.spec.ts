import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { blockJobs, JobMode, JobsHarness, runJob, startJobsHarness, waitForJob } from '../testing/job-helpers';

const MAX_WAITING = 2;

for (const mode of ['inline', 'bullmq'] as JobMode[]) {
  describe(`backup requests and the bound on waiting jobs (${mode} queue, real api)`, () => {
    let harness: JobsHarness;
    let unblock: (() => Promise<void>) | undefined;
    const request = (method: string, path: string, body?: unknown) =>
      harness.api.request(method, path, body === undefined ? {} : { body });
    const backupCount = async () => (await request('GET', '/api/admin/backups')).body.total_count as number;

    async function block(): Promise<void> {
      unblock = await blockJobs(harness);
    }

    before(async () => {
      harness = await startJobsHarness(mode, { ENGRAM_JOBS_MAX_WAITING: String(MAX_WAITING) });
    });
    after(async () => {
      await unblock?.();
      await harness.close();
    });

    it('concurrent backup requests while one is pending all join it: one job id, one backup', async () => {
      const before = await backupCount();
      await block();
      const answers = await Promise.all([
        ...Array.from({ length: 10 }, () => request('POST', '/api/backup/now?wait=false')),
        ...Array.from({ length: 10 }, () => request('POST', '/api/admin/backup')),
      ]);
      assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([202]));
      const ids = new Set(answers.map((answer) => answer.body.job_id));
      assert.equal(ids.size, 1, `job ids: ${[...ids].join(', ')}`);
      await unblock!();
      unblock = undefined;
      const job = await waitForJob(request, [...ids][0]);
      assert.equal(job.state, 'completed', job.error);
      assert.equal(await backupCount(), before + 1);
    });

    it('refuses jobs past the bound with 429 and Retry-After, while a backup request still joins', async () => {
      const backup = await runJob(request, '/api/admin/backup');
      await block();
      const pending = (await request('POST', '/api/admin/backup')).body.job_id;
      const accepted: string[] = [];
      let refused;
      for (let i = 0; i < MAX_WAITING + 2 && !refused; i++) {
        const answer = await request('POST', '/api/admin/restore', { backup_id: backup.result.backup_id });
        if (answer.status === 202) accepted.push(answer.body.job_id);
        else refused = answer;
      }
      assert.ok(refused, `${accepted.length} restores queued, none refused`);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error, 'queue_full');
      assert.match(refused.body.message, /ENGRAM_JOBS_MAX_WAITING/);
      assert.equal(refused.headers.get('retry-after'), '30');
      assert.ok(accepted.length <= MAX_WAITING);
      const joined = await request('POST', '/api/backup/now?wait=false');
      assert.equal(joined.status, 202);
      assert.equal(joined.body.job_id, pending);

      await unblock!();
      unblock = undefined;
      for (const id of [pending, ...accepted]) assert.equal((await waitForJob(request, id)).state, 'completed');
      assert.equal((await request('POST', '/api/admin/restore', { backup_id: backup.result.backup_id })).status, 202);
    });
  });
}

for (const mode of ['inline', 'bullmq'] as JobMode[]) {
  describe(`the share of waiting jobs one namespace may hold (${mode} queue, real api)`, () => {
    let harness: JobsHarness;
    let unblock: (() => Promise<void>) | undefined;

    before(async () => {
      harness = await startJobsHarness(mode, {
        ENGRAM_JOBS_MAX_WAITING: '4',
        ENGRAM_JOBS_MAX_WAITING_PER_NAMESPACE: '2',
      });
    });
    after(async () => {
      await unblock?.();
      await harness.close();
    });

    it("refuses a namespace's jobs past its share with 429, while another namespace's still get in", async () => {
      const request = (method: string, path: string) => harness.api.request(method, path);
      const scan = (namespace: string) =>
        harness.api.request('POST', '/api/conflicts/scan', { headers: { 'x-engram-namespace': namespace } });
      unblock = await blockJobs(harness);
      // Without Redis the backup holds the queue (it waits for the restore lock); with Redis no worker runs.
      const blocker = (await request('POST', '/api/admin/backup')).body.job_id;
      const accepted: string[] = [];
      let refused;
      for (let i = 0; i < 4 && !refused; i++) {
        const answer = await scan('tenant-a');
        if (answer.status === 202) accepted.push(answer.body.job_id);
        else refused = answer;
      }
      assert.ok(refused, `tenant-a queued ${accepted.length} scans, none refused`);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error, 'queue_full');
      assert.equal(
        refused.body.message,
        'This namespace already has 2 jobs waiting (ENGRAM_JOBS_MAX_WAITING_PER_NAMESPACE); retry once some have run',
      );
      assert.equal(refused.headers.get('retry-after'), '30');
      assert.equal(accepted.length, 2);
      const other = await scan('tenant-b');
      assert.equal(other.status, 202, 'another namespace still gets its job in');

      await unblock();
      unblock = undefined;
      for (const id of [blocker, ...accepted, other.body.job_id]) {
        assert.equal((await waitForJob(request, id)).state, 'completed');
      }
      assert.equal((await scan('tenant-a')).status, 202, 'jobs that ran free their share');
    });
  });
}
