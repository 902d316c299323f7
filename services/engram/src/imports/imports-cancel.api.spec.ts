import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { blockJobs, JobMode, JobsHarness, startJobsHarness, waitForJob } from '../testing/job-helpers';
import { openSse } from '../testing/sse-client';

for (const mode of ['inline', 'bullmq'] as JobMode[]) {
  describe(`cancelling an import that has not started (${mode} queue, real api)`, () => {
    let harness: JobsHarness;
    let unblock: (() => Promise<void>) | undefined;
    const uploads = () => readdirSync(harness.api.config.imports.uploadDir);

    before(async () => {
      harness = await startJobsHarness(mode);
    });
    after(async () => {
      await unblock?.();
      await harness?.close();
    });

    it('announces it as a cancelled job (job_failed, cancelled) and removes its upload at once', async () => {
      const { api } = harness;
      const events = await openSse(`${api.url}/api/events/stream?frames=named&types=job_failed`);
      unblock = await blockJobs(harness);
      const backup = await api.request('POST', '/api/admin/backup');
      assert.equal(backup.status, 202, backup.text);
      const form = new FormData();
      form.append('file', new Blob(['# Queued\n\nThis note waits behind a backup.']), 'queued.md');
      const response = await fetch(`${api.url}/api/import`, { method: 'POST', body: form });
      const queued = (await response.json()) as { job_id: string };
      assert.equal(response.status, 202, JSON.stringify(queued));
      assert.equal((await api.request('GET', `/api/jobs/${queued.job_id}`)).body.state, 'waiting');
      assert.equal(uploads().length, 1, 'the upload waits with its job');

      const cancel = await api.request('DELETE', `/api/jobs/${queued.job_id}`);
      assert.deepEqual(cancel.body, { success: true, job_id: queued.job_id, status: 'cancelled' });
      assert.deepEqual(uploads(), [], 'the upload is removed with the job');
      const frames = await events.waitFor((all) => all.some((frame) => frame.data.includes(`"${queued.job_id}"`)));
      events.close();
      const announced = frames.map((frame) => JSON.parse(frame.data).payload);
      assert.deepEqual(
        announced.find((payload) => payload.job_id === queued.job_id),
        { job_id: queued.job_id, name: 'import', error: 'Cancelled on request', cancelled: true },
      );

      await unblock();
      unblock = undefined;
      assert.equal((await waitForJob(api.request, backup.body.job_id)).state, 'completed');
    });

    it('lets a write key of the namespace cancel its import, and no key of another namespace or read only', async () => {
      const { api } = harness;
      const key = async (name: string, scopes: string[], namespace?: string, auth?: string) => {
        const created = await api.request('POST', '/api/admin/keys', {
          headers: auth ? { 'x-api-key': auth } : {},
          body: { name, scopes, ...(namespace ? { namespace } : {}) },
        });
        assert.equal(created.status, 201, created.text);
        return created.body.key as string;
      };
      const admin = await key('admin', ['admin']);
      const writer = await key('alice-writer', ['write'], 'alice', admin);
      const reader = await key('alice-reader', ['read'], 'alice', admin);
      const stranger = await key('bob-writer', ['write'], 'bob', admin);
      unblock = await blockJobs(harness);
      const backup = await api.request('POST', '/api/admin/backup', { headers: { 'x-api-key': admin } });
      assert.equal(backup.status, 202, backup.text);
      const form = new FormData();
      form.append('file', new Blob(['# Mine\n\nAlice imports this.']), 'mine.md');
      const response = await fetch(`${api.url}/api/import`, {
        method: 'POST',
        body: form,
        headers: { 'x-api-key': writer },
      });
      const queued = (await response.json()) as { job_id: string };
      assert.equal(response.status, 202, JSON.stringify(queued));
      const cancel = (as: string) =>
        api.request('DELETE', `/api/import/${queued.job_id}`, { headers: { 'x-api-key': as } });

      assert.equal((await cancel(reader)).status, 403, 'reading is not enough');
      assert.equal((await cancel(stranger)).status, 404, "another namespace's import is not there for it");
      const cancelled = await cancel(writer);
      assert.deepEqual(cancelled.body, { success: true, job_id: queued.job_id, status: 'cancelled' });
      // Once ended it cannot be cancelled again: the inline queue remembers it (409), BullMQ removed it (404).
      assert.equal((await cancel(writer)).status, mode === 'inline' ? 409 : 404);

      await unblock();
      unblock = undefined;
      const asAdmin = (method: string, path: string, options: { body?: unknown } = {}) =>
        api.request(method, path, { ...options, headers: { 'x-api-key': admin } });
      const backupDone = await waitForJob(asAdmin, backup.body.job_id);
      assert.equal(backupDone.state, 'completed');
    });
  });
}
