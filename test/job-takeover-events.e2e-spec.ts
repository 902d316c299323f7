import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { E2eStorage, e2eStoragesWithSessions } from './e2e-storage';
import { RunningEngram, serviceHelper } from './engram-cli';
import { killedApiSession } from './killed-api-session';
import { call } from './process-harness';

const { openSse } = serviceHelper('testing/sse-client.js');

const BOOTSTRAP = 'e2e-job-takeover-events-bootstrap-key-0123456789';
const ADMIN = { 'X-API-Key': BOOTSTRAP };
/** How long a stream may wait for an event: a take-over comes within about 10 s, slower on a busy machine. */
const EVENT_WAIT_MS = 60_000;

for (const storage of e2eStoragesWithSessions()) {
  describe(`a job its killed api never ended is announced where it is ended (${storage.name}, real processes)`, () =>
    announcedAtTakeOver(storage));
}

function announcedAtTakeOver(storage: E2eStorage): void {
  const { apis, serve, kill, heldImport } = killedApiSession(storage, BOOTSTRAP);
  const streams: { close(): void }[] = [];
  after(() => {
    for (const stream of streams) stream.close();
  });

  async function key(api: RunningEngram, namespace: string): Promise<Record<string, string>> {
    const body = { name: `${namespace}-writer`, scopes: ['write'], namespace };
    const created = await call(api.url, 'POST', '/api/admin/keys', body, ADMIN);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { 'X-API-Key': created.body.key };
  }

  async function stream(api: RunningEngram, headers: Record<string, string>): Promise<any> {
    const opened = await openSse(`${api.url}/api/events/stream?frames=named`, headers);
    assert.equal(opened.status, 200, opened.body);
    streams.push(opened);
    return opened;
  }

  /** The job_failed events of job `id` a stream has received. */
  function failures(events: any, id: string): any[] {
    return events
      .named()
      .filter((event: any) => event.event === 'job_failed' && event.data.payload.job_id === id)
      .map((event: any) => event.data);
  }

  /** `api`'s engram_jobs_total of imports ended with `outcome`, as its GET /metrics answers it (0 when absent). */
  async function importsCounted(api: RunningEngram, outcome: string): Promise<number> {
    const scraped = await fetch(`${api.url}/metrics`, { headers: ADMIN });
    const text = await scraped.text();
    assert.equal(scraped.status, 200, text);
    const series = `engram_jobs_total{queue="engram-maintenance",name="import",outcome="${outcome}"} `;
    const line = text.split('\n').find((candidate) => candidate.startsWith(series));
    return line === undefined ? 0 : Number(line.slice(series.length));
  }

  /** Waits until `events` has `id`'s job_failed, and answers its payload, the event's namespace checked. */
  async function announced(events: any, id: string, namespace: string): Promise<any> {
    await events.waitFor(() => failures(events, id).length > 0, EVENT_WAIT_MS);
    const [event] = failures(events, id);
    assert.equal(event.namespace, namespace, JSON.stringify(event));
    return event.payload;
  }

  /**
   * A memory stored through `api` in the key's namespace, once its stream has it: events reach a stream in
   * the order published, so what the stream lacks by then was never sent to it.
   */
  async function storedAndStreamed(api: RunningEngram, headers: Record<string, string>, events: any, text: string) {
    const stored = await call(api.url, 'POST', '/api/memories', { content: text }, headers);
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    await events.waitFor(
      () =>
        events
          .named()
          .some((event: any) => event.event === 'memory_created' && JSON.stringify(event.data).includes(text)),
      EVENT_WAIT_MS,
    );
  }

  it('a job running when its api was killed: the restarted api announces it interrupted to a stream resuming from before the kill', async () => {
    const api = await serve();
    const alice = await key(api, 'alice');
    const before = await stream(api, alice);
    const id = await heldImport(api, 'restart', alice);
    const [queued] = (
      await before.waitFor(() => before.named().some((event: any) => event.event === 'job_queued'))
    ).filter((frame: any) => frame.event === 'job_queued');
    await kill(api);

    const restarted = await serve();
    // As an EventSource reconnects: from the id it last saw, so it gets what it missed.
    const resumed = await stream(restarted, { ...alice, 'Last-Event-ID': queued.id });
    const payload = await announced(resumed, id, 'alice');
    assert.equal(payload.name, 'import');
    assert.equal(payload.cancelled, false);
    assert.match(payload.error, /^Interrupted: the api stopped .* while this job was running/);
    const job = (await call(restarted.url, 'GET', `/api/jobs/${id}`, undefined, ADMIN)).body;
    assert.deepEqual([job.state, job.error_code, job.error], ['failed', 'interrupted', payload.error]);
    assert.equal(await importsCounted(restarted, 'interrupted'), 1, 'counted interrupted by the api that ended it');
    assert.equal(await importsCounted(restarted, 'failed'), 0, 'its own work never failed');
  });

  it('a job cancelled through another api, the api running it killed: the other api announces it cancelled to its namespace only, once', async () => {
    const running = apis[0] ?? (await serve());
    const other = await serve();
    const alice = await key(other, 'alice-2');
    const bob = await key(other, 'bob');
    const aliceEvents = await stream(other, alice);
    const bobEvents = await stream(other, bob);
    const id = await heldImport(running, 'takeover', alice);
    const cancel = await call(other.url, 'DELETE', `/api/import/${id}`, undefined, alice);
    assert.deepEqual(cancel.body, { success: true, job_id: id, status: 'cancelling' });
    await kill(running);

    // The other api finds the killed one's jobs at its next look (about every 10 s).
    const payload = await announced(aliceEvents, id, 'alice-2');
    assert.deepEqual(payload, { job_id: id, name: 'import', error: 'Cancelled on request', cancelled: true });
    assert.equal((await call(other.url, 'GET', `/api/jobs/${id}`, undefined, ADMIN)).body.state, 'cancelled');
    assert.equal(await importsCounted(other, 'cancelled'), 1, 'counted cancelled by the api that ended it');

    await storedAndStreamed(other, bob, bobEvents, 'stored by bob after the take-over');
    assert.deepEqual(failures(bobEvents, id), [], "another namespace's stream is not told");
    await storedAndStreamed(other, alice, aliceEvents, 'stored by alice after the take-over');
    assert.equal(failures(aliceEvents, id).length, 1, 'announced once');
  });
}
