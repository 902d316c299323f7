import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ApiKeyService } from './keys/api-key.service';
import { CREDENTIAL_RECHECK_MS } from './credential-watch';
import { openSse, SseClient } from '../testing/sse-client';
import { startTestApp, TestApp } from '../testing/test-app';

const ADMIN = 'watch-admin-key-0123456789';

/** Whether the stream ended within `ms`, and the notice it ended with. */
async function endsWithin(client: SseClient, ms: number) {
  const ended = await Promise.race([client.ended.then(() => true), delay(ms, false)]);
  return { ended, notice: client.named().find((frame) => frame.event === 'credential_refused') };
}

describe('event streams end when their credential is no longer accepted (real api)', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp({ MCP_API_KEY: ADMIN });
  });
  after(() => api.close());

  const createKey = async (name: string) => {
    const created = await api.request('POST', '/api/admin/keys', {
      headers: { 'x-api-key': ADMIN },
      body: { name, scopes: ['read'] },
    });
    assert.equal(created.status, 201, created.text);
    return created.body as { id: string; key: string };
  };
  const stream = (key: string) => openSse(`${api.url}/api/events/stream?frames=named`, { 'x-api-key': key });

  it('ends the streams of a key revoked here at once, with a notice, and keeps the others', async () => {
    const reader = await createKey('revoked-reader');
    const doomed = await stream(reader.key);
    const kept = await stream(ADMIN);
    assert.equal(doomed.status, 200);
    const revoked = await api.request('DELETE', `/api/admin/keys/${reader.id}`, { headers: { 'x-api-key': ADMIN } });
    assert.equal(revoked.status, 200, revoked.text);
    const { ended, notice } = await endsWithin(doomed, 5_000);
    assert.ok(ended, 'the revoked key’s stream ended');
    assert.match(notice?.data.message ?? '', /no longer accepted/);
    const write = await api.request('POST', '/api/memories', {
      headers: { 'x-api-key': ADMIN },
      body: { content: 'still streamed to the admin' },
    });
    assert.equal(write.status, 201);
    await kept.waitFor((frames) => frames.some((frame) => frame.event === 'memory_created'));
    kept.close();
    const reopened = await stream(reader.key);
    assert.equal(reopened.status, 401);
  });

  it('ends a stream whose key another process revoked, within the recheck interval', async () => {
    const reader = await createKey('revoked-elsewhere');
    const doomed = await stream(reader.key);
    // As the CLI or another replica would: straight in the store, nothing in this process told.
    await api.app.get(ApiKeyService).revoke(reader.id);
    const { ended, notice } = await endsWithin(doomed, CREDENTIAL_RECHECK_MS + 5_000);
    assert.ok(ended, 'the stream ended');
    assert.ok(notice, 'with the notice');
  });
});

describe('keyless event streams end when the first key is created (real api)', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp();
  });
  after(() => api.close());

  it('ends an anonymous stream once the server requires a key', async () => {
    const anonymous = await openSse(`${api.url}/api/events/stream?frames=named`);
    assert.equal(anonymous.status, 200);
    const created = await api.request('POST', '/api/admin/keys', { body: { name: 'first', scopes: ['admin'] } });
    assert.equal(created.status, 201, created.text);
    const { ended, notice } = await endsWithin(anonymous, 5_000);
    assert.ok(ended, 'the anonymous stream ended');
    assert.ok(notice, 'with the notice');
  });
});
