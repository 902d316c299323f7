import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSse, SseClient } from '../testing/sse-client';
import { startTestApp, TestApp } from '../testing/test-app';

describe('the trash: soft-deleted memories listed, restored and purged (REST)', () => {
  let api: TestApp;
  let events: SseClient;
  before(async () => {
    api = await startTestApp();
    events = await openSse(`${api.url}/api/events/stream?frames=named`);
  });
  after(async () => {
    events.close();
    await api.close();
  });

  const store = async (content: string, tags: string[] = []) =>
    (await api.request('POST', '/api/memories', { body: { content, tags } })).body.memory;
  const remove = (hash: string) => api.request('DELETE', `/api/memories/${hash}`);
  const trash = async (query = '') => (await api.request('GET', `/api/memories/trash${query}`)).body;

  it('lists deleted memories newest deletion first, each text once, with deleted_at', async () => {
    const first = await store('Trash one: the old wifi password');
    const second = await store('Trash two: the printer is on floor 3');
    await remove(first.content_hash);
    await remove(second.content_hash);
    // The same text stored and deleted again is still one entry, dated by its latest deletion.
    await store('Trash one: the old wifi password');
    await remove(first.content_hash);

    const page = await trash('?page_size=10');
    const hashes = page.memories.map((memory: { content_hash: string }) => memory.content_hash);
    assert.deepEqual(hashes.slice(0, 2), [first.content_hash, second.content_hash]);
    assert.equal(new Set(hashes).size, hashes.length, 'each text appears once');
    assert.equal(page.total, hashes.length);
    const [entry] = page.memories;
    assert.equal(typeof entry.deleted_at, 'number');
    assert.ok(Date.parse(entry.deleted_at_iso) >= Date.parse(entry.created_at_iso));
    assert.equal((await api.request('GET', `/api/memories/trash/${second.content_hash}`)).body.content, second.content);
  });

  it('restores a memory: live again in get, list and search, with a memory_created event marked restored', async () => {
    const memory = await store('Restorable: the spare key is under the blue pot', ['home']);
    await remove(memory.content_hash);
    assert.equal((await api.request('GET', `/api/memories/${memory.content_hash}`)).status, 404);

    const restored = await api.request('POST', `/api/memories/${memory.content_hash}/restore`);
    assert.equal(restored.status, 200, restored.text);
    assert.deepEqual(restored.body.memory.tags, ['home']);
    assert.equal((await api.request('GET', `/api/memories/${memory.content_hash}`)).status, 200);
    const found = await api.request('POST', '/api/search', { body: { query: 'spare key blue pot', mode: 'semantic' } });
    assert.equal(found.body.results[0].memory.content_hash, memory.content_hash, 'the vector is back');
    const keyword = await api.request('POST', '/api/search', { body: { query: 'spare key', mode: 'keyword' } });
    assert.equal(keyword.body.results[0].memory.content_hash, memory.content_hash, 'the keyword index is back');
    assert.ok(!(await trash('?page_size=100')).memories.some((m: any) => m.content_hash === memory.content_hash));
    await events.waitFor((frames) =>
      frames.some((frame) => frame.event === 'memory_created' && JSON.parse(frame.data).payload.restored === true),
    );
  });

  it('refuses with 409 and the live memory when the same content was stored again', async () => {
    const memory = await store('Clash: the gate code is 4711');
    await remove(memory.content_hash);
    const again = await store('Clash: the gate code is 4711');
    const refused = await api.request('POST', `/api/memories/${memory.content_hash}/restore`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error, 'duplicate_content');
    assert.equal(refused.body.details.memory.content_hash, again.content_hash);
    assert.equal(refused.body.details.memory.created_at_iso, again.created_at_iso);
  });

  it('answers 404 for a hash not in the trash and 400 for a malformed one', async () => {
    const live = await store('Never deleted: lunch is at noon');
    for (const hash of [live.content_hash, 'a'.repeat(64)]) {
      const response = await api.request('POST', `/api/memories/${hash}/restore`);
      assert.equal(response.status, 404);
      assert.match(response.body.message, /No deleted memory with content_hash .* in the trash/);
    }
    assert.equal((await api.request('POST', '/api/memories/xyz/restore')).status, 400);
    assert.equal((await api.request('GET', '/api/memories/trash?page_size=101')).status, 400);
  });

  it('deletes for good from the trash: every deletion of that text goes, and nothing can restore it', async () => {
    const memory = await store('Purge me: an outdated phone number');
    await remove(memory.content_hash);
    await store('Purge me: an outdated phone number');
    await remove(memory.content_hash);
    const purged = await api.request('DELETE', `/api/memories/trash/${memory.content_hash}`);
    assert.equal(purged.status, 200);
    assert.equal((await api.request('GET', `/api/memories/trash/${memory.content_hash}`)).status, 404);
    assert.equal((await api.request('POST', `/api/memories/${memory.content_hash}/restore`)).status, 404);
    assert.equal((await api.request('DELETE', `/api/memories/trash/${memory.content_hash}`)).status, 404);
  });

  it('keeps each namespace its own trash', async () => {
    const memory = await store('Namespaced: only default sees this');
    await remove(memory.content_hash);
    const other = { 'X-Engram-Namespace': 'other' };
    const listed = await api.request('GET', '/api/memories/trash', { headers: other });
    assert.equal(listed.body.total, 0);
    const restore = await api.request('POST', `/api/memories/${memory.content_hash}/restore`, { headers: other });
    assert.equal(restore.status, 404);
  });

  it('walks the trash by cursor: each text once, as the numbered pages list it, each page with the total', async () => {
    for (let i = 0; i < 7; i++) await remove((await store(`Walked trash ${i}`)).content_hash);
    const hashes = (page: { memories: { content_hash: string }[] }) => page.memories.map((m) => m.content_hash);
    const all = await trash('?page_size=100');
    const pages = [await trash('?page_size=3')];
    for (let next = pages[0].next_cursor; next !== null; next = pages.at(-1).next_cursor) {
      assert.ok(pages.length < 30, 'the walk ends');
      pages.push(await trash(`?page_size=3&cursor=${next}`));
    }
    assert.deepEqual(pages.flatMap(hashes), hashes(all));
    assert.ok(
      pages
        .slice(1)
        .every(
          (page) => page.page === null && page.total === all.total && page.total_pages === Math.ceil(all.total / 3),
        ),
    );
    assert.equal(pages.at(-1).has_more, false);
    const both = await api.request('GET', `/api/memories/trash?page=1&cursor=${pages[0].next_cursor}`);
    assert.equal(both.status, 400);
    assert.match(both.body.message, /give page or cursor, not both/);
    const elsewhere = await api.request('GET', `/api/memories/trash?cursor=${pages[0].next_cursor}`, {
      headers: { 'X-Engram-Namespace': 'other' },
    });
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.body.message, /cursor was made for another namespace/);
  });
});
