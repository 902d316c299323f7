import assert from 'node:assert/strict';
import { TestResponse } from './test-app';

type Requester = (method: string, path: string, options?: { body?: unknown }) => Promise<TestResponse>;

/** Polls GET /api/jobs/:id until the job ends; fails the test after `timeoutMs`. */
export async function waitForJob(request: Requester, id: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request('GET', `/api/jobs/${id}`);
    assert.equal(response.status, 200, `GET /api/jobs/${id}: ${response.text}`);
    if (['completed', 'failed', 'cancelled'].includes(response.body.state)) return response.body;
    if (Date.now() > deadline) assert.fail(`job ${id} still ${response.body.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Queues a job through its REST route and waits for it to end. */
export async function runJob(request: Requester, path: string, body?: unknown): Promise<any> {
  const queued = await request('POST', path, body === undefined ? {} : { body });
  assert.equal(queued.status, 202, `${path}: ${queued.text}`);
  return waitForJob(request, queued.body.job_id);
}
