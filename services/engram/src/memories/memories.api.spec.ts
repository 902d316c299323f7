import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../testing/test-app';
import { contentHash } from './content-hash';

describe('memories REST API (real server, real SQLite file)', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp();
  });
  after(async () => {
    await api.close();
  });

  const store = (body: Record<string, unknown>, headers?: Record<string, string>) =>
    api.request('POST', '/api/memories', { body, headers });

  it('stores a memory and returns it with both epoch and ISO times', async () => {
    const response = await store({
      content: 'Deploys run from the ops/deploy.sh script',
      tags: ['Ops', ' deploy '],
      memory_type: 'Decision',
      metadata: { source: 'chat' },
    });
    assert.equal(response.status, 201);
    const { memory } = response.body;
    assert.equal(response.body.success, true);
    assert.equal(memory.content_hash, contentHash('Deploys run from the ops/deploy.sh script'));
    assert.deepEqual(memory.tags, ['deploy', 'ops']);
    assert.equal(memory.memory_type, 'decision');
    assert.deepEqual(memory.metadata, { source: 'chat' });
    assert.equal(typeof memory.created_at, 'number');
    assert.equal(new Date(memory.created_at_iso).getTime(), Math.round(memory.created_at * 1000));
  });

  it('accepts tags as a comma-separated string and the X-Agent-ID header', async () => {
    const response = await store(
      { content: 'Comma tags work', tags: 'alpha, beta,,gamma' },
      { 'X-Agent-ID': 'claude' },
    );
    assert.equal(response.status, 201);
    assert.deepEqual(response.body.memory.tags, ['agent:claude', 'alpha', 'beta', 'gamma']);
  });

  it('answers 409 with the existing memory for duplicate content, and stores no second row', async () => {
    const first = await store({ content: 'The cat is named Miso' });
    const again = await store({ content: '  the CAT is named miso ' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'duplicate_content');
    assert.equal(again.body.details.content_hash, first.body.content_hash);
    const list = await api.request('GET', '/api/memories?page_size=100');
    const matches = list.body.memories.filter((m: { content: string }) => m.content.toLowerCase().includes('miso'));
    assert.equal(matches.length, 1);
  });

  it('gets a memory by hash, 404 for an unknown hash, 400 for a malformed one', async () => {
    const { body } = await store({ content: 'Get me by hash' });
    const found = await api.request('GET', `/api/memories/${body.content_hash}`);
    assert.equal(found.status, 200);
    assert.equal(found.body.content, 'Get me by hash');
    const missing = await api.request('GET', `/api/memories/${'a'.repeat(64)}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'not_found');
    const malformed = await api.request('GET', '/api/memories/not-a-hash');
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.message, /64 hexadecimal/);
  });

  it('updates tags, type and metadata without changing the hash', async () => {
    const { body } = await store({ content: 'Update my metadata', tags: ['old'] });
    const updated = await api.request('PUT', `/api/memories/${body.content_hash}`, {
      body: { tags: ['new', 'shiny'], memory_type: 'learning', metadata: { reviewed: true } },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.content_hash, body.content_hash);
    assert.deepEqual(updated.body.memory.tags, ['new', 'shiny']);
    assert.equal(updated.body.memory.memory_type, 'learning');
    assert.deepEqual(updated.body.memory.metadata, { reviewed: true });
    assert.ok(updated.body.memory.updated_at >= body.memory.updated_at);
  });

  it('re-embeds and re-hashes on a content change, so search finds the new text', async () => {
    const { body } = await store({ content: 'Original wording about bicycles' });
    const updated = await api.request('PUT', `/api/memories/${body.content_hash}`, {
      body: { content: 'Rewritten wording about submarines and deep oceans' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.content_hash, contentHash('Rewritten wording about submarines and deep oceans'));
    assert.equal((await api.request('GET', `/api/memories/${body.content_hash}`)).status, 404);
    const search = await api.request('POST', '/api/search', {
      body: { query: 'underwater vessel', mode: 'semantic', limit: 1 },
    });
    assert.equal(search.body.results[0].memory.content_hash, updated.body.content_hash);
  });

  it('refuses an update whose new content duplicates another memory (409)', async () => {
    await store({ content: 'Taken content' });
    const { body } = await store({ content: 'Free content' });
    const clash = await api.request('PUT', `/api/memories/${body.content_hash}`, {
      body: { content: 'taken content' },
    });
    assert.equal(clash.status, 409);
  });

  it('soft-deletes by default: gone from get, list and search, and the same text can be stored again', async () => {
    const { body } = await store({ content: 'A short-lived memory about zebras' });
    const deleted = await api.request('DELETE', `/api/memories/${body.content_hash}`);
    assert.equal(deleted.status, 200);
    assert.equal((await api.request('GET', `/api/memories/${body.content_hash}`)).status, 404);
    const search = await api.request('POST', '/api/search', { body: { query: 'zebras', mode: 'keyword' } });
    assert.equal(search.body.results.length, 0);
    const again = await store({ content: 'A short-lived memory about zebras' });
    assert.equal(again.status, 201);
  });

  it('hard-deletes with ?hard=true', async () => {
    const { body } = await store({ content: 'Remove me for good' });
    const deleted = await api.request('DELETE', `/api/memories/${body.content_hash}?hard=true`);
    assert.equal(deleted.status, 200);
    assert.equal((await api.request('DELETE', `/api/memories/${body.content_hash}`)).status, 404);
  });

  it('lists tags with counts of live memories', async () => {
    await store({ content: 'Tagged one', tags: ['countme'] });
    const { body } = await store({ content: 'Tagged two', tags: ['countme', 'other-tag'] });
    await api.request('DELETE', `/api/memories/${body.content_hash}`);
    const tags = await api.request('GET', '/api/tags');
    assert.equal(tags.status, 200);
    const countme = tags.body.tags.find((t: { tag: string }) => t.tag === 'countme');
    assert.equal(countme.count, 1);
    assert.equal(
      tags.body.tags.find((t: { tag: string }) => t.tag === 'other-tag'),
      undefined,
    );
  });

  it('stores a batch in one request, reporting duplicates within the batch and against stored memories', async () => {
    await store({ content: 'Already stored before the batch' });
    const response = await api.request('POST', '/api/memories/batch', {
      body: {
        memories: [
          { content: 'Batch item one', tags: ['batch'] },
          { content: 'Batch item two', tags: ['batch'] },
          { content: 'batch item ONE' },
          { content: 'Already stored before the batch' },
        ],
      },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.stored, 2);
    assert.equal(response.body.duplicates, 2);
    assert.deepEqual(
      response.body.results.map((r: { status: string }) => r.status),
      ['created', 'created', 'duplicate', 'duplicate'],
    );
    assert.equal(response.body.results[0].content_hash, response.body.results[2].content_hash);
  });

  it('keeps a given created_at (epoch seconds or ISO) for imported memories', async () => {
    const iso = await store({ content: 'Happened in 2023', created_at: '2023-05-08T13:56:00Z' });
    assert.equal(iso.body.memory.created_at_iso, '2023-05-08T13:56:00.000Z');
    const epoch = await store({ content: 'Happened in 2022', created_at: 1650000000 });
    assert.equal(epoch.body.memory.created_at, 1650000000);
  });
});

describe('listing memories: pagination and filters', () => {
  let api: TestApp;
  const day = 24 * 3600;
  before(async () => {
    api = await startTestApp();
    const base = Date.UTC(2024, 0, 1) / 1000;
    const memories = Array.from({ length: 25 }, (_, i) => ({
      content: `Listed memory ${i}`,
      tags: i % 2 === 0 ? ['even', 'all'] : ['odd', 'all'],
      memory_type: i % 5 === 0 ? 'decision' : 'note',
      created_at: base + i * day,
    }));
    const response = await api.request('POST', '/api/memories/batch', { body: { memories } });
    assert.equal(response.body.stored, 25);
  });
  after(async () => {
    await api.close();
  });

  it('pages newest first with totals and has_more', async () => {
    const first = await api.request('GET', '/api/memories?page=1&page_size=10');
    assert.equal(first.status, 200);
    assert.equal(first.body.total, 25);
    assert.equal(first.body.total_pages, 3);
    assert.equal(first.body.has_more, true);
    assert.equal(first.body.memories[0].content, 'Listed memory 24');
    const last = await api.request('GET', '/api/memories?page=3&page_size=10');
    assert.equal(last.body.memories.length, 5);
    assert.equal(last.body.has_more, false);
    assert.equal(last.body.memories[4].content, 'Listed memory 0');
  });

  it('answers an empty page past the end, not an error', async () => {
    const past = await api.request('GET', '/api/memories?page=9&page_size=10');
    assert.equal(past.status, 200);
    assert.deepEqual(past.body.memories, []);
    assert.equal(past.body.has_more, false);
  });

  it('refuses page 0, page_size 0 or 101, negative and non-numeric values', async () => {
    for (const query of ['page=0', 'page_size=0', 'page_size=101', 'page=-1', 'page_size=abc', 'page=1.5']) {
      const response = await api.request('GET', `/api/memories?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error, 'validation_error', query);
    }
  });

  it('refuses a page number past every integer with the one line a page number too big gets', async () => {
    for (const page of ['1000001', '99999999999999999999', '9'.repeat(400)]) {
      const response = await api.request('GET', `/api/memories?page=${page}`);
      assert.equal(response.status, 400, page);
      assert.equal(
        response.body.message,
        'Invalid request query: page: expected an integer from 1 to 1000000',
        page.slice(0, 30),
      );
    }
  });

  it('filters by tag (any / all), type and time range', async () => {
    const any = await api.request('GET', '/api/memories?tag=even,odd&page_size=100');
    assert.equal(any.body.total, 25);
    const all = await api.request('GET', '/api/memories?tag=even,all&tag_match=all&page_size=100');
    assert.equal(all.body.total, 13);
    const none = await api.request('GET', '/api/memories?tag=even,odd&tag_match=all');
    assert.equal(none.body.total, 0);
    const decisions = await api.request('GET', '/api/memories?memory_type=decision');
    assert.equal(decisions.body.total, 5);
    const january = await api.request('GET', '/api/memories?after=2024-01-10T00:00:00Z&before=2024-01-15T00:00:00Z');
    assert.equal(january.body.total, 5);
    assert.deepEqual(
      january.body.memories.map((m: { content: string }) => m.content),
      ['Listed memory 13', 'Listed memory 12', 'Listed memory 11', 'Listed memory 10', 'Listed memory 9'],
    );
  });

  type Page = {
    memories: { content: string }[];
    total: number | null;
    page: number | null;
    has_more: boolean;
    total_pages: number | null;
    next_cursor: string | null;
  };
  const list = async (query: string) => {
    const response = await api.request('GET', `/api/memories?${query}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as Page;
  };
  /** Every page from `query`'s first on, each asked for with the cursor the one before returned. */
  const walk = async (query: string) => {
    const pages = [await list(query)];
    for (let next = pages[0].next_cursor; next !== null; next = pages.at(-1)!.next_cursor) {
      assert.ok(pages.length < 30, 'the walk ends');
      pages.push(await list(`${query}&cursor=${next}`));
    }
    return pages;
  };
  const contents = (pages: Page[]) => pages.flatMap((page) => page.memories.map((memory) => memory.content));

  it("walks every page by cursor: the numbered pages' memories, each once, next_cursor on all but the last", async () => {
    const numbered = [];
    for (let page = 1; page <= 7; page++) numbered.push(await list(`page=${page}&page_size=4`));
    const pages = await walk('page_size=4');
    assert.deepEqual(contents(pages), contents(numbered));
    assert.equal(pages.length, 7);
    assert.deepEqual(
      pages.map((page) => [page.page, page.has_more, page.next_cursor !== null]),
      [[1, true, true], ...Array.from({ length: 5 }, () => [null, true, true]), [null, false, false]],
    );
    // Without a filter the total is the namespace's running count: still given after a cursor.
    assert.ok(pages.every((page) => page.total === 25 && page.total_pages === 7));
    assert.equal(numbered[6].next_cursor, null);
    assert.equal(typeof numbered[2].next_cursor, 'string', 'a numbered page gives a cursor to go on from');
    const fromThird = await list(`page_size=4&cursor=${numbered[2].next_cursor}`);
    assert.deepEqual(fromThird.memories, numbered[3].memories);
  });

  it('walks by cursor through tags, a type, a time range and the oldest order, as one page of all lists them', async () => {
    // One tag alone, one type alone and the whole namespace are totalled from the running counts: every
    // page of a walk gives the first page's total. Other filters' totals are counted: not on every page of a
    // walk, where that would make the walk quadratic.
    const queries: [string, boolean][] = [
      ['tag=even,all&tag_match=all', false],
      ['tags=odd&order=oldest', true],
      ['memory_type=note', true],
      ['memory_type=decision&include_superseded=true&order=oldest', true],
      ['memory_type=note&tag=even', false],
      ['memory_type=note&after=2024-01-05T00:00:00Z&before=2024-01-20T00:00:00Z', false],
      ['include_superseded=true&order=oldest', true],
    ];
    for (const [query, tallied] of queries) {
      const pages = await walk(`${query}&page_size=3`);
      assert.deepEqual(contents(pages), contents([await list(`${query}&page_size=100`)]), query);
      assert.ok(pages[0].total! > 3, query);
      assert.deepEqual(
        pages.slice(1).map((page) => [page.total, page.total_pages]),
        pages.slice(1).map(() => (tallied ? [pages[0].total, pages[0].total_pages] : [null, null])),
        query,
      );
    }
  });

  it('refuses a cursor with a page, for other filters or order, from the trash, or damaged, naming the problem', async () => {
    const { next_cursor: cursor } = await list('tag=even&page_size=2');
    const versionOnly = Buffer.from('{"v":1}').toString('base64url');
    const edited = JSON.parse(Buffer.from(cursor!, 'base64url').toString());
    const refusals: [string, RegExp][] = [
      [`tag=even&page=2&cursor=${cursor}`, /give page or cursor, not both/],
      [`tag=odd&cursor=${cursor}`, /cursor was made for another tags/],
      [`tag=even&order=oldest&cursor=${cursor}`, /cursor was made for another order/],
      [`tag=even&memory_type=note&include_superseded=true&cursor=${cursor}`, /another include_superseded, memory_type/],
      [`cursor=${cursor}`, /cursor was made for another tags/],
      [`tag=even&cursor=${cursor!.slice(0, -3)}`, /cursor is (not one this service returned|damaged or was edited)/],
      [`tag=even&cursor=${versionOnly}`, /cursor is not one this service returned/],
      [`tag=even&cursor=${encodeURIComponent('not a cursor!')}`, /cursor is not one this service returned/],
      [`tag=even&cursor=${'A'.repeat(1001)}`, /cursor/],
      [
        `tag=even&cursor=${Buffer.from(JSON.stringify({ ...edited, p: `${edited.p.slice(0, -1)}${edited.p.endsWith('A') ? 'B' : 'A'}` })).toString('base64url')}`,
        /cursor is damaged or was edited/,
      ],
      [
        `tag=even&cursor=${Buffer.from(JSON.stringify({ ...edited, at: 'soon' })).toString('base64url')}`,
        /cursor is not one this service returned/,
      ],
    ];
    for (const [query, message] of refusals) {
      const response = await api.request('GET', `/api/memories?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error, 'validation_error', query);
      assert.match(response.body.message, message, query);
    }
    const trashPage = await api.request('GET', `/api/memories/trash?cursor=${cursor}`);
    assert.equal(trashPage.status, 400);
    assert.match(trashPage.body.message, /cursor continues the memory list, not the trash/);
  });

  it('refuses an empty time range with 422', async () => {
    const response = await api.request('GET', '/api/memories?after=2024-02-01T00:00:00Z&before=2024-01-01T00:00:00Z');
    assert.equal(response.status, 422);
  });
});

describe("a cursor page's total for one type or one tag, superseded versions left out", () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp();
    const memories = Array.from({ length: 12 }, (_, i) => ({
      content: `Decision or note ${i}`,
      tags: i % 3 === 0 ? ['project-x'] : ['project-y'],
      memory_type: i % 2 === 0 ? 'decision' : 'note',
    }));
    const response = await api.request('POST', '/api/memories/batch', { body: { memories } });
    assert.equal(response.body.stored, 12);
    for (const i of [0, 2, 3]) {
      const hash = contentHash(`Decision or note ${i}`);
      const superseded = await api.request('POST', `/api/memories/${hash}/supersede`, {
        body: { content: `Decision or note ${i}, revised` },
      });
      assert.equal(superseded.status, 201, JSON.stringify(superseded.body));
    }
  });
  after(async () => {
    await api.close();
  });

  it('gives on every page of a walk the count a numbered page gives, which is the memories the walk lists', async () => {
    for (const query of [
      'memory_type=decision',
      'memory_type=decision&include_superseded=true',
      'tags=project-x',
      'tags=project-x&include_superseded=true',
    ]) {
      const all = await api.request('GET', `/api/memories?${query}&page_size=100`);
      const listed = all.body.memories.length;
      assert.equal(all.body.total, listed, query);
      const totals: (number | null)[] = [all.body.total];
      for (let cursor = (await api.request('GET', `/api/memories?${query}&page_size=1`)).body.next_cursor; cursor;) {
        const page = await api.request('GET', `/api/memories?${query}&page_size=1&cursor=${cursor}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        totals.push(page.body.total);
        cursor = page.body.next_cursor;
      }
      assert.ok(totals.length > 2, `${query}: a walk of several pages`);
      assert.deepEqual(
        totals,
        totals.map(() => listed),
        query,
      );
    }
  });
});
