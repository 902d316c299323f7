import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eStorage, e2eStoragesWithSessions } from './e2e-storage';
import { RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { call, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble, heldEmbeddingsEnv } = serviceHelper(
  'testing/openai-embeddings.test-double.js',
);
const { engramExport, engramExportMemory } = serviceHelper('testing/import-fixtures.js');
const { openSse } = serviceHelper('testing/sse-client.js');

const BOOTSTRAP = 'e2e-job-cancel-bootstrap-key-0123456789';
const ADMIN = { 'X-API-Key': BOOTSTRAP };
/** Memories in the import: batches of 64, so several are left after the one held. */
const MEMORIES = 400;
/** The memory whose embedding the model holds: the import stops there, part-way through its batches. */
const HELD = 200;
const content = (i: number) => `imported memory number ${i} about replica ${i % 7}`;

for (const storage of e2eStoragesWithSessions()) {
  describe(`a job cancelled and followed through another api without Redis (${storage.name}, real processes)`, () =>
    cancelAcrossApis(storage));
}

function cancelAcrossApis(storage: E2eStorage): void {
  const dir = tempDir();
  let model: any;
  let runner: RunningEngram;
  let other: RunningEngram;
  let held: { arrived: Promise<void>; release(): void } | undefined;
  let events: any;

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'job-cancel-model' });
    const env = {
      ...(await storage.start(dir)),
      MCP_API_KEY: BOOTSTRAP,
      ...heldEmbeddingsEnv(model),
    };
    runner = await startEngram('serve', env, dir, 'Engram ready');
    other = await startEngram('serve', env, dir, 'Engram ready');
  });
  after(async () => {
    // A check that failed leaves the import waiting for the model and the stream open.
    held?.release();
    events?.close();
    await Promise.all([runner, other].filter(Boolean).map((api) => api.stop()));
    await model?.close();
    await storage.stop();
  });

  async function key(name: string, namespace: string): Promise<Record<string, string>> {
    const created = await call(other.url, 'POST', '/api/admin/keys', { name, scopes: ['write'], namespace }, ADMIN);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { 'X-API-Key': created.body.key };
  }

  async function startImport(headers: Record<string, string>): Promise<string> {
    const form = new FormData();
    const memories = Array.from({ length: MEMORIES }, (_, i) => engramExportMemory(content(i)));
    form.append('file', new Blob([engramExport(memories)]), 'replicas.ndjson');
    const response = await fetch(`${runner.url}/api/import`, { method: 'POST', body: form, headers });
    const body = (await response.json()) as { job_id: string };
    assert.equal(response.status, 202, JSON.stringify(body));
    return body.job_id;
  }

  /** The job as `api` answers it, once `accept` holds. */
  async function jobOnceSo(api: RunningEngram, id: string, accept: (job: any) => boolean, what: string) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = (await call(api.url, 'GET', `/api/jobs/${id}`, undefined, ADMIN)).body;
      if (accept(job)) return job;
      assert.ok(Date.now() < deadline, `${what}: job ${id} is ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('an import running in one api, cancelled through the other with its own key, ends cancelled; its progress moves on both', async () => {
    const alice = await key('alice-writer', 'alice');
    const bob = await key('bob-writer', 'bob');
    events = await openSse(`${runner.url}/api/events/stream?frames=named&types=job_failed`, alice);
    const hold = model.hold((texts: readonly string[]) => texts.some((text) => text.includes(content(HELD))));
    held = hold;
    const importId = await startImport(alice);
    // A job waiting behind it in the same api.
    const scan = await call(runner.url, 'POST', '/api/conflicts/scan', undefined, ADMIN);
    assert.equal(scan.status, 202, JSON.stringify(scan.body));
    await hold.arrived;

    const running = await jobOnceSo(
      other,
      importId,
      (job) => job.progress > 3,
      'progress read through the other api while the import runs',
    );
    assert.equal(running.state, 'active', JSON.stringify(running));
    assert.match(running.stage, new RegExp(`^stored \\d+ of ${MEMORIES} memories`));

    const asBob = await call(other.url, 'DELETE', `/api/import/${importId}`, undefined, bob);
    assert.equal(asBob.status, 404, "another namespace's import is not there for it, through any api");
    assert.equal((await call(other.url, 'GET', `/api/import/${importId}`, undefined, bob)).status, 404);
    const cancelled = await call(other.url, 'DELETE', `/api/import/${importId}`, undefined, alice);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.deepEqual(cancelled.body, { success: true, job_id: importId, status: 'cancelling' });
    const scanCancelled = await call(other.url, 'DELETE', `/api/jobs/${scan.body.job_id}`, undefined, ADMIN);
    assert.deepEqual(scanCancelled.body, { success: true, job_id: scan.body.job_id, status: 'cancelling' });

    // The waiting scan ends while the import still waits for the model: it never runs.
    const scanEnded = await jobOnceSo(other, scan.body.job_id, (job) => job.state !== 'waiting', 'the waiting scan');
    assert.equal(scanEnded.state, 'cancelled');
    assert.equal(scanEnded.started_at, undefined);
    // The import stops at its next safe point once the api running it has read the cancel.
    await runner.waitForOutput((output) => output.includes('Job cancel asked through another api'), 30_000);
    hold.release();
    const ended = await jobOnceSo(other, importId, (job) => job.state !== 'active', 'the cancelled import');
    assert.deepEqual([ended.state, ended.error], ['cancelled', 'Cancelled on request']);
    assert.ok(ended.progress < 99, `stopped part-way (${ended.progress}%)`);
    assert.deepEqual(
      (await call(runner.url, 'GET', `/api/import/${importId}`, undefined, alice)).body.state,
      'cancelled',
      'the same through the api that ran it',
    );
    const announced = await events.waitFor((frames: { data: string }[]) =>
      frames.some((frame) => frame.data.includes(importId)),
    );
    events.close();
    assert.deepEqual(
      announced
        .map((frame: { data: string }) => JSON.parse(frame.data).payload)
        .find((p: any) => p.job_id === importId),
      { job_id: importId, name: 'import', error: 'Cancelled on request', cancelled: true },
    );

    const again = await call(other.url, 'DELETE', `/api/jobs/${importId}`, undefined, ADMIN);
    assert.equal(again.status, 409, 'ended: nothing left to cancel');
    assert.match(again.body.message, /already ended \(cancelled\)/);
  });
}
