import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Browser, Locator, Page } from 'playwright-core';
import { assertAccessible, contextWithAxe } from './accessibility';
import { dashboardSession, API_KEY, AUTH } from './dashboard-session';
import { RunningEngram, serviceHelper } from './engram-cli';
import { call } from './process-harness';

const { waitFor } = serviceHelper('testing/wait-for.js');
const { AUDIT_ACTIONS } = serviceHelper('audit/audit-event.js');

/** The dashboard's panels but backups, imports and keys (dashboard-backups.e2e-spec), on one server and page. */
describe('the dashboard in a real browser (chromium, real api process)', () => {
  const session = dashboardSession();
  const { memoryRoot, streams, shot, focused, nav, record, foreignRequests, urlsWithKey } = session;
  let api: RunningEngram;
  let browser: Browser;
  let page: Page;
  let agentModel: any;
  before(() => ({ api, browser, page, agentModel } = session));
  const card = (text: string) => page.locator('memory-card', { hasText: text });

  it('asks for the key, refuses a wrong one, signs in with the right one and says who is signed in', async () => {
    await page.goto(api.url);
    await page.getByLabel('API key').fill('not-the-key-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused' }).waitFor();
    await assertAccessible(page, 'key prompt');
    await shot('1-key-prompt');
    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator('[data-stat="stat-health"] dd', { hasText: 'Ready' }).waitFor();
    assert.match(await page.locator('.stats').innerText(), /dashboard-model/);
    assert.equal(await page.locator('[data-caller]').innerText(), 'signed in as MCP_API_KEY · namespace default');
    await page.locator('.live', { hasText: 'Live' }).waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('engram.apiKey')"), API_KEY);
  });

  it('creates a memory through the form and shows it in the list', async () => {
    await nav('Memories').click();
    await page.getByRole('button', { name: 'New memory' }).click();
    const dialog = page.getByRole('dialog', { name: 'New memory' });
    await dialog.getByLabel('Content').fill('The boiler is serviced every October by Acme Heating');
    await dialog.getByLabel('Tags').fill('home, maintenance');
    await dialog.getByLabel('Type').fill('fact');
    await assertAccessible(page, 'new memory dialog');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    const created = card('The boiler is serviced every October');
    await created.waitFor();
    assert.match(await created.innerText(), /fact[\s\S]*home[\s\S]*maintenance/);
    const stored = await call(api.url, 'POST', '/api/search', { query: 'boiler', mode: 'keyword' }, AUTH);
    assert.equal(stored.body.results[0].memory.memory_type, 'fact');
  });

  it('shows a memory stored through REST within 1 s, without a reload', async () => {
    await page.evaluate('window.notReloaded = true');
    await page.locator('.live', { hasText: 'Live' }).waitFor();
    const stored = await call(
      api.url,
      'POST',
      '/api/memories',
      { content: 'Written by curl: the VPN certificate expires in May', tags: ['it'] },
      AUTH,
    );
    assert.equal(stored.status, 201);
    const acknowledged = Date.now();
    await card('the VPN certificate expires in May').waitFor({ timeout: 1000 });
    const shownAfterMs = Date.now() - acknowledged;
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');
    await assertAccessible(page, 'memories');
    await shot('3-memories-live');
    await nav('Activity').click();
    await page.locator('.activity li', { hasText: 'the VPN certificate expires in May' }).waitFor();
    assert.ok(shownAfterMs <= 1000, `appeared after ${shownAfterMs} ms`);
    await assertAccessible(page, 'activity');
    await shot('4-activity');
  });

  it('keeps the activity history across a reload (the server’s replay window)', async () => {
    await page.reload();
    await nav('Activity').click();
    const kept = page.locator('.activity li', { hasText: 'the VPN certificate expires in May' });
    await kept.waitFor();
    assert.match(await kept.locator('.badge').innerText(), /memory created/);
    await page.locator('.live', { hasText: 'Live' }).waitFor();
    await call(api.url, 'POST', '/api/memories', { content: 'After the reload: the stream resumes' }, AUTH);
    await page.locator('.activity li', { hasText: 'After the reload: the stream resumes' }).waitFor();
    const once = await page.locator('.activity li', { hasText: 'the VPN certificate expires in May' }).count();
    assert.equal(once, 1, 'history and stream do not repeat an event');
  });

  it('searches with filters, explains the scores, and an error clears the old results', async () => {
    await nav('Search').click();
    const form = page.getByRole('search');
    await form.getByLabel('Query').fill('boiler October');
    await form.getByLabel('Tags').fill('home');
    await form.getByLabel('When').fill('last 30 days');
    await form.getByRole('button', { name: 'Search' }).click();
    const hit = card('The boiler is serviced every October');
    await hit.waitFor();
    assert.match(await hit.locator('.scores').innerText(), /score \d\.\d{3} · cosine -?\d\.\d{3} · BM25 \d+\.\d{3}/);
    assert.equal(await card('VPN certificate').count(), 0, 'the tag filter applies');
    assert.equal(await form.getByLabel('Min. score').inputValue(), '0.01', "the server's default floor");
    await page.getByText('What the scores mean').click();
    const help = await page.locator('.score-help').innerText();
    assert.match(help, /probability, from 0 to 1[\s\S]*relevance model/, 'the default (calibrated) score');
    assert.doesNotMatch(help, /0\.6 × cosine/, 'weighted_average is not the default');
    assert.match(help, /cosine[\s\S]*−1 to 1[\s\S]*BM25[\s\S]*Keyword relevance/);
    await assertAccessible(page, 'search');
    await shot('5-search');
    await form.getByLabel('Tags').fill('');
    await form.getByLabel('Query').fill('zebra migration across the savanna');
    await form.getByRole('button', { name: 'Search' }).click();
    await page.locator('.empty', { hasText: 'Nothing found scoring 0.01 or more' }).waitFor();
    // The floor's effect is said, with a way past it: the page is never a bare "nothing found".
    const note = page.locator('.floor-note');
    assert.match(await note.innerText(), /^\d+ weaker match(es)? scored below 0\.01\. Show (it|them)$/);
    await note.getByRole('button', { name: /^Show (it|them)$/ }).click();
    await card('The boiler is serviced every October').waitFor();
    assert.equal(await form.getByLabel('Min. score').inputValue(), '0', 'the field says the floor is off');
    assert.equal(await note.count(), 0, 'nothing is left out now');
    await form.getByLabel('When').fill('next fortnight maybe');
    await form.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('alert').filter({ hasText: 'next fortnight maybe' }).waitFor();
    assert.equal(await card('The boiler').count(), 0, 'no stale results under the error');
  });

  it("search takes no minimum score and runs no search until it has the server's floor, then keeps the one typed", async () => {
    await nav('Memories').click();
    // The server's floor (its detailed status) is held back until the case lets it through.
    let statusAsked!: () => void;
    const asked = new Promise<void>((resolve) => (statusAsked = resolve));
    let letStatusThrough!: () => void;
    const released = new Promise<void>((resolve) => (letStatusThrough = resolve));
    await page.route('**/api/health/detailed', async (route) => {
      statusAsked();
      await released;
      await route.continue();
    });
    try {
      await nav('Search').click();
      await asked;
      const form = page.getByRole('search');
      await form.getByLabel('Query').fill('boiler October'); // the query may be typed meanwhile
      assert.ok(await form.getByLabel('Min. score').isDisabled(), 'the minimum score waits for the floor');
      assert.ok(await form.getByRole('button', { name: 'Search' }).isDisabled(), 'a search now would have no floor');
      assert.ok(await form.locator('[aria-busy="true"]', { hasText: 'Loading…' }).isVisible());

      letStatusThrough();
      await waitFor(() => form.getByLabel('Min. score').isEnabled(), 'the minimum score to open');
      assert.equal(await form.getByLabel('Min. score').inputValue(), '0.01', "the server's default floor");
      await form.getByLabel('Min. score').fill('0.05');
      const searched = page.waitForRequest((request) => request.url().endsWith('/api/search'));
      await form.getByRole('button', { name: 'Search' }).click();
      assert.equal(JSON.parse((await searched).postData() ?? '{}').min_score, 0.05, 'the typed floor is sent');
      await page.locator('search-view .memory-list, search-view .empty').first().waitFor();
      assert.equal(await form.getByLabel('Min. score').inputValue(), '0.05', 'and still shown');
      assert.equal(await form.locator('[aria-busy="true"]').count(), 0);
    } finally {
      await page.unroute('**/api/health/detailed');
    }
  });

  it('edits tags and deletes a memory after confirmation', async () => {
    await nav('Memories').click();
    await card('VPN certificate').getByRole('button', { name: /^Edit/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit memory' });
    await dialog.getByLabel('Tags').fill('it, security');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await card('VPN certificate').locator('.tag', { hasText: 'security' }).waitFor();

    await card('VPN certificate')
      .getByRole('button', { name: /^Delete/ })
      .click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete this memory?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await card('VPN certificate').count(), 1, 'cancel keeps the memory');
    assert.match(await focused(), /^Delete “Written by curl: the VPN certificate/, 'focus is back on Delete');
    await card('VPN certificate')
      .getByRole('button', { name: /^Delete/ })
      .click();
    await assertAccessible(page, 'delete confirmation');
    await shot('6-confirm-delete');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await card('VPN certificate').waitFor({ state: 'detached' });
    const left = await call(api.url, 'GET', '/api/memories', undefined, AUTH);
    const ownMemories = left.body.memories.filter((memory: any) => memory.memory_type !== 'memory_file');
    assert.deepEqual(ownMemories.map((memory: any) => memory.content).sort(), [
      'After the reload: the stream resumes',
      'The boiler is serviced every October by Acme Heating',
    ]);
  });

  it('works from the keyboard alone', async () => {
    await nav('Memories').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'New memory' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New memory' });
    await dialog.waitFor();
    assert.equal(await page.evaluate('document.activeElement?.id'), 'memory-content', 'focus moves into the dialog');
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Tab');
    await page.keyboard.type('keyboard');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await card('typed without a mouse').count(), 0, 'Escape cancels');
    assert.equal(await focused(), 'New memory', 'focus is back where it was');
  });

  it('links every listed memory to its page, which shows times, metadata and import provenance', async () => {
    const imported = await call(
      api.url,
      'POST',
      '/api/memories',
      {
        content: 'Flights to Porto are booked for 3 June',
        tags: ['travel'],
        metadata: {
          conversation_id: 'c-42',
          import: { source: 'chatgpt', file: 'export.zip', title: 'Trip planning', chunk: 1, chunks: 2 },
        },
      },
      AUTH,
    );
    await nav('Memories').click();
    await card('Flights to Porto').getByRole('link', { name: /^Open/ }).click();
    await page.getByRole('heading', { name: 'Memory', exact: true }).waitFor();
    assert.equal(new URL(page.url()).hash, `#/memory/${imported.body.content_hash}`);
    const details = page.locator('.detail-list');
    await details.waitFor();
    const text = await details.innerText();
    assert.match(text, /Imported from\s+chatgpt: export\.zip — “Trip planning” \(part 1 of 2\)/);
    assert.match(text, /Updated\s+\S/);
    assert.match(text, /"conversation_id": "c-42"/);
    await assertAccessible(page, 'memory page');
    await shot('7-memory-page');
    await page.goto(`${api.url}/#/memory/${'0'.repeat(64)}`);
    await page.getByRole('alert').filter({ hasText: 'No memory with content_hash' }).waitFor();
  });

  it('edits a memory on its own page and follows it to its new content_hash', async () => {
    const stored = await call(api.url, 'POST', '/api/memories', { content: 'The spare key is under the mat' }, AUTH);
    await page.goto(`${api.url}/#/memory/${stored.body.content_hash}`);
    await card('The spare key is under the mat').getByRole('button', { name: /^Edit/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit memory' });
    await dialog.getByLabel('Content').fill('The spare key is with the neighbour');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await card('The spare key is with the neighbour').waitFor();
    const edited = await call(api.url, 'POST', '/api/search', { query: 'spare key neighbour', mode: 'keyword' }, AUTH);
    const hash = edited.body.results[0].memory.content_hash;
    assert.notEqual(hash, stored.body.content_hash);
    assert.equal(new URL(page.url()).hash, `#/memory/${hash}`);
    assert.equal(await page.getByRole('alert').count(), 0, 'no "No memory with content_hash" after the save');
  });

  it('shows deleted memories in the trash, restores one, refuses a text stored again, and deletes for good', async () => {
    const store = async (content: string) =>
      (await call(api.url, 'POST', '/api/memories', { content }, AUTH)).body.content_hash as string;
    const remove = (hash: string) => call(api.url, 'DELETE', `/api/memories/${hash}`, undefined, AUTH);
    const clash = await store('Trash clash: the gate code is 4711');
    await remove(clash);
    await store('Trash clash: the gate code is 4711');
    const doomed = await store('Trash purge: an outdated phone number');
    await remove(doomed);

    await nav('Trash').click();
    const entry = (text: string) => page.locator('.memory', { hasText: text });
    await entry('VPN certificate').waitFor();
    await assertAccessible(page, 'trash');
    await shot('8-trash');
    await entry('VPN certificate')
      .getByRole('button', { name: /^Restore/ })
      .click();
    await page.getByRole('status').filter({ hasText: 'Restored' }).waitFor();
    await entry('VPN certificate').waitFor({ state: 'detached' });
    const restored = await call(api.url, 'POST', '/api/search', { query: 'VPN certificate', mode: 'keyword' }, AUTH);
    assert.match(restored.body.results[0].memory.content, /VPN certificate/);

    await entry('Trash clash')
      .getByRole('button', { name: /^Restore/ })
      .click();
    const notice = page.getByRole('status').filter({ hasText: 'Not restored: the same text is stored again' });
    await notice.waitFor();
    assert.ok(await notice.getByRole('link', { name: 'Open the memory' }).isVisible());

    await entry('Trash purge')
      .getByRole('button', { name: /^Delete for good/ })
      .click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete for good?' });
    await confirm.getByRole('button', { name: 'Delete for good' }).click();
    await entry('Trash purge').waitFor({ state: 'detached' });
    assert.equal((await call(api.url, 'GET', `/api/memories/trash/${doomed}`, undefined, AUTH)).status, 404);
  });

  it('reviews contradictions: scans, shows pairs side by side with evidence, keeps the newer, dismisses; a read key only looks', async () => {
    const store = async (content: string, tags: string[] = []) =>
      (await call(api.url, 'POST', '/api/memories', { content, tags }, AUTH)).body.content_hash as string;
    const conflict = (text: string, target = page) => target.locator('.conflict', { hasText: text });
    const status = (text: string | RegExp) => page.locator('main [role="status"]').filter({ hasText: text });
    await nav('Conflicts').click();
    const empty = page.locator('main .empty', { hasText: 'No open conflicts' });
    await empty.waitFor();
    assert.match(await empty.innerText(), /keep the newer or the older memory/, 'the empty state explains the view');
    await assertAccessible(page, 'conflicts (empty)');

    // Pairs of the labelled set (bench/conflicts/pairs.json) the CPU detector flags.
    const marcoOlder = await store('Marco works at Globex as a designer.', ['people']);
    const marcoNewer = await store('Marco now works at Initech as a product manager.', ['people']);
    await store('The company has 45 employees.');
    await store('The company has 120 employees.');
    await store('The client contract ends on 2027-06-30.');
    await store('The client contract ends on 2026-12-31.');
    await page.getByRole('button', { name: 'Scan for conflicts' }).click();
    await status(/Scan done: \d+ memories reviewed, [1-9]\d* new proposals?, [1-9]\d* open/).waitFor();

    const marco = conflict('Marco now works at Initech');
    await marco.waitFor();
    const [older, newer] = [marco.locator('[data-side="older"]'), marco.locator('[data-side="newer"]')];
    assert.match(await older.innerText(), /^Older\s+Marco works at Globex as a designer\.[\s\S]*note[\s\S]*people/i);
    assert.match(await newer.innerText(), /^Newer\s+Marco now works at Initech/i);
    assert.equal(await older.getByRole('link', { name: /^Open/ }).getAttribute('href'), `#/memory/${marcoOlder}`);
    assert.match(await marco.getByRole('list', { name: /^Evidence/ }).innerText(), /globex ≠ initech/);
    assert.match(await marco.locator('header').innerText(), /score \d\.\d{3}/);
    const [left, right] = [await older.boundingBox(), await newer.boundingBox()];
    assert.ok(left && right && left.y === right.y && left.x + left.width <= right.x, 'older and newer side by side');
    const scores = await page.locator('.conflict header .badge').allInnerTexts();
    const values = scores.map((text) => Number(/score (\S+)/.exec(text)![1]));
    assert.deepEqual(
      values,
      [...values].sort((a, b) => b - a),
      'highest score first',
    );
    await assertAccessible(page, 'conflicts');
    await shot('17-conflicts');
    const open = (await call(api.url, 'GET', '/api/conflicts', undefined, AUTH)).body.total;
    await nav('Overview').click();
    const count = page.locator('[data-stat="stat-conflicts"] dd');
    assert.equal(await count.innerText(), String(open), 'the overview counts the open conflicts');
    await count.getByRole('link').click();
    await marco.waitFor();

    // Decided behind the page's back (no event announces a decision, and no memory changed since the list
    // loaded): the page says so and reloads.
    const contract = conflict('ends on 2026-12-31');
    const contractId = Number(await contract.getAttribute('data-conflict'));
    const elsewhere = { conflict_id: contractId, action: 'dismiss' };
    assert.equal((await call(api.url, 'POST', '/api/conflicts/resolve', elsewhere, AUTH)).status, 200);
    await contract.getByRole('button', { name: /^Keep both/ }).click();
    await page.getByRole('alert').filter({ hasText: 'already decided otherwise (dismissed)' }).waitFor();
    await contract.waitFor({ state: 'detached' });

    // A read key of the same namespace sees the pairs and no way to decide or scan.
    const reader = await call(api.url, 'POST', '/api/admin/keys', { name: 'conflict reader', scopes: ['read'] }, AUTH);
    const readOnly = await (await contextWithAxe(browser)).newPage();
    record(readOnly);
    try {
      await readOnly.goto(`${api.url}/#/conflicts`);
      await readOnly.getByLabel('API key').fill(reader.body.key);
      await readOnly.getByRole('button', { name: 'Sign in' }).click();
      await conflict('Marco now works at Initech', readOnly).waitFor();
      assert.equal(await readOnly.locator('.conflict-list').getByRole('button').count(), 0, 'no decisions');
      assert.equal(await readOnly.getByRole('button', { name: 'Scan for conflicts' }).count(), 0, 'no scan');
      assert.ok(await conflict('Marco', readOnly).getByRole('link', { name: /^Open/ }).first().isVisible());
      await assertAccessible(readOnly, 'conflicts (read key)');
    } finally {
      await readOnly.context().close();
    }

    await marco.getByRole('button', { name: /^Keep newer/ }).click();
    await status('is superseded by it').waitFor();
    await marco.waitFor({ state: 'detached' });
    const superseded = await call(api.url, 'GET', `/api/memories/${marcoOlder}`, undefined, AUTH);
    assert.equal(superseded.body.superseded_by, marcoNewer);
    const history = await call(api.url, 'GET', `/api/memories/${marcoNewer}/history`, undefined, AUTH);
    assert.deepEqual(
      history.body.versions.map((version: any) => version.content_hash),
      [marcoOlder, marcoNewer],
    );
    const listed = await call(api.url, 'GET', '/api/memories?include_superseded=true&page_size=100', undefined, AUTH);
    assert.equal(listed.body.memories.find((memory: any) => memory.content_hash === marcoOlder)?.superseded, true);

    await conflict('120 employees')
      .getByRole('button', { name: /^Dismiss/ })
      .click();
    await status('Dismissed:').waitFor();
    await conflict('120 employees').waitFor({ state: 'detached' });

    await page.getByLabel('Status').selectOption('dismissed');
    const dismissed = conflict('120 employees');
    await dismissed.locator('.badge', { hasText: 'dismissed' }).waitFor();
    assert.equal(await dismissed.getByRole('button').count(), 0, 'a decided pair offers no decisions');
    await page.getByLabel('Status').selectOption('resolved');
    const resolved = conflict('Marco now works at Initech');
    await resolved.locator('.badge', { hasText: 'kept newer' }).waitFor();
    assert.match(await resolved.locator('[data-side="older"]').innerText(), /superseded/);
    assert.match(await resolved.locator('[data-side="newer"]').innerText(), /kept/);
    await assertAccessible(page, 'conflicts (resolved)');
    await shot('18-conflicts-resolved');
    await page.setViewportSize({ width: 390, height: 844 });
    const [top, bottom] = [await older.boundingBox(), await newer.boundingBox()];
    assert.ok(top && bottom && top.y + top.height <= bottom.y, 'on a phone the newer memory is below the older');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
    await shot('19-conflicts-phone');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Answers arriving out of order: the resolved list, asked for first, answers after the dismissed one was
    // asked for. The page ends on the list its filter names, not on the late answer.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/api\/conflicts\?status=resolved/, async (route) => {
      await held;
      await route.continue();
    });
    await page.getByLabel('Status').selectOption('open');
    const [lateAsked, lateAnswer] = [
      page.waitForRequest(/\/api\/conflicts\?status=resolved/),
      page.waitForResponse(/\/api\/conflicts\?status=resolved/),
    ];
    await page.getByLabel('Status').selectOption('resolved');
    await lateAsked; // asked once the open list is in (one load at a time), and held
    await page.getByLabel('Status').selectOption('dismissed');
    // The old page showed the dismissed list at once, then the late resolved answer over it.
    await dismissed
      .locator('.badge', { hasText: 'dismissed' })
      .waitFor({ timeout: 2000 })
      .catch(() => undefined);
    release();
    await (await lateAnswer).finished();
    await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    await dismissed.locator('.badge', { hasText: 'dismissed' }).waitFor();
    assert.equal(await conflict('Marco now works at Initech').count(), 0, 'the late resolved answer is not shown');
    await page.unroute(/\/api\/conflicts\?status=resolved/);
    await page.getByLabel('Status').selectOption('open');
  });

  it('charts memories over time, by type and tag, and the server’s request rate and search latency', async () => {
    await nav('Overview').click();
    const charts = page.locator('.charts svg[role="img"]');
    await page.locator('[data-chart="search-latency"]').waitFor();
    assert.equal(await charts.count(), 6);
    const labels = await charts.evaluateAll((svgs) => svgs.map((svg) => svg.getAttribute('aria-label') ?? ''));
    assert.ok(
      labels.some((label) => /^Memories by type: .*fact 1/.test(label)),
      labels.join('\n'),
    );
    assert.ok(
      labels.some((label) => /^Top tags: .*home 1/.test(label)),
      labels.join('\n'),
    );
    assert.match(await page.locator('[data-chart="search-latency"]').innerText(), /searches/);
    assert.ok(await page.locator('[data-chart="requests"] path.chart-line').count());
    await assertAccessible(page, 'overview');
    await shot('2-overview');
  });

  it('asks the agent and shows the reply, the turns and a diff of the file it changed', async () => {
    await nav('Agent').click();
    await page.getByLabel('Question or facts to remember').fill('I moved to Porto last week.');
    await page.getByLabel(/^Filters for this answer/).fill('do not reveal e-mail addresses');
    await page.getByRole('button', { name: 'Ask' }).click();
    const answered = page.locator('.agent-answer');
    await answered.waitFor({ timeout: 60_000 });
    assert.match(await answered.locator('.reply').innerText(), /Noted: you live in Porto now\./);
    assert.match(await answered.locator('.meta').first().innerText(), /3 turns · 1 file changed/);
    assert.deepEqual(await answered.locator('.diff-del').allInnerTexts(), ['-- city: Lisbon']);
    assert.deepEqual(await answered.locator('.diff-add').allInnerTexts(), ['+- city: Porto']);
    const question = agentModel.requestsFor('I moved to Porto')[0].body.messages[1].content;
    assert.match(question, /<filter>\n- do not reveal ages\n- do not reveal e-mail addresses\n<\/filter>$/);
    await assertAccessible(page, 'agent answer');
    await shot('10-agent-answer');
  });

  it('browses the memory files: links lead to the files they name, backlinks lead back', async () => {
    await page.getByRole('navigation', { name: 'Memory files' }).getByRole('link', { name: 'user.md' }).click();
    const file = page.locator('.file-view');
    await file.getByRole('heading', { name: 'user.md' }).waitFor();
    assert.match(await file.locator('.markdown').innerText(), /- city: Porto/);
    await file.getByRole('link', { name: '[[entities/acme_corp.md]]' }).click();
    await file.getByRole('heading', { name: 'entities/acme_corp.md' }).waitFor();
    assert.equal(new URL(page.url()).hash, '#/agent/files/entities/acme_corp.md');
    await file.locator('.backlinks').getByRole('link', { name: 'user.md' }).waitFor();
    await assertAccessible(page, 'agent files');
    await shot('11-agent-files');

    // A file chosen, then another before the first answered: the page ends on the second.
    const files = page.getByRole('navigation', { name: 'Memory files' });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/api\/agent\/files\/user\.md$/, async (route) => {
      await held;
      await route.continue();
    });
    const lateAnswer = page.waitForResponse(/\/api\/agent\/files\/user\.md$/);
    await files.getByRole('link', { name: 'user.md' }).click();
    const secondAnswer = page.waitForResponse(/\/api\/agent\/files\/entities\/acme_corp\.md$/);
    await files.getByRole('link', { name: 'entities/acme_corp.md' }).click();
    await (await secondAnswer).finished();
    release();
    await (await lateAnswer).finished();
    await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    await file.getByRole('heading', { name: 'entities/acme_corp.md' }).waitFor();
    assert.equal(await file.getByRole('heading', { name: 'user.md' }).count(), 0, 'the late answer is not shown');
    await page.unroute(/\/api\/agent\/files\/user\.md$/);
  });

  it('edits .filters and shows the kept transcripts', async () => {
    const rules = page.getByLabel('Filter rules');
    assert.equal(await rules.inputValue(), '- do not reveal ages\n');
    await rules.fill('- do not reveal ages\n- only reveal first names\n');
    await page.getByRole('button', { name: 'Save filters' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.equal(
      readFileSync(join(memoryRoot, '.filters'), 'utf8'),
      '- do not reveal ages\n- only reveal first names\n',
    );
    const transcripts = page.locator('.transcripts li');
    await transcripts.first().waitFor();
    assert.match(await transcripts.first().innerText(), /default · 7 messages/);
  });

  it('offers every action the api records in the audit filter, and finds the memory deleted here by it', async () => {
    await nav('Access').click();
    const action = page.locator('.audit-filters').getByLabel('Action');
    await action.locator('option').last().waitFor({ state: 'attached' });
    const offered = await action
      .locator('option')
      .evaluateAll((options) => options.map((option) => option.getAttribute('value') ?? ''));
    assert.deepEqual(offered, ['', ...AUDIT_ACTIONS], 'any, then each action the audit log records');

    await action.selectOption('memories.delete');
    await page.locator('.audit-filters').getByRole('button', { name: 'Show' }).click();
    // The unfiltered page may still be showing: wait for the filtered one, which holds only deletes.
    const listed = () => page.locator('audit-log .audit-table tbody td:nth-child(2)').allInnerTexts();
    await waitFor(async () => {
      const actions = await listed();
      return actions.length > 0 && actions.every((shown) => shown === 'memories.delete');
    }, 'the memory deleted from the Memories panel, listed under memories.delete alone');
  });

  it('checks namespaces and types as they are typed (valid patterns), and says what a type may be', async () => {
    const patternErrors: string[] = [];
    const onConsole = (message: { text(): string }) => {
      if (message.text().includes('pattern')) patternErrors.push(message.text());
    };
    page.on('console', onConsole);
    try {
      const valid = (field: Locator) => field.evaluate((input: any) => input.validity.valid as boolean);
      await nav('Access').click();
      const keyNamespace = page.locator('.key-form').getByLabel(/^Namespace/);
      const auditNamespace = page.locator('.audit-filters').getByLabel('Namespace');
      for (const field of [keyNamespace, auditNamespace]) {
        await field.fill('Not A Namespace');
        assert.equal(await valid(field), false, 'an impossible namespace is refused before it is sent');
        await field.fill('team-a_1');
        assert.equal(await valid(field), true);
        await field.fill('');
      }
      await nav('Memories').click();
      await page.getByRole('button', { name: 'New memory' }).click();
      const type = page.getByRole('dialog', { name: 'New memory' }).getByLabel('Type');
      await type.fill('two words');
      assert.equal(await valid(type), false);
      assert.match((await type.getAttribute('title')) ?? '', /letters, digits, _ and -, starting with a letter/);
      await page.keyboard.press('Escape');
      assert.deepEqual(patternErrors, [], 'every pattern compiles');
    } finally {
      page.off('console', onConsole);
    }
  });

  it('fits a phone screen, long tags and the backups table included, and every request stays on the server (no CDN)', async () => {
    const longTag = `quarterly-${'maintenance'.repeat(5)}`;
    await call(api.url, 'POST', '/api/memories', { content: 'The gutters need clearing', tags: [longTag] }, AUTH);
    const backup = await call(api.url, 'POST', '/api/backup/now', undefined, AUTH);
    assert.equal(backup.body.success, true, JSON.stringify(backup.body));
    await page.setViewportSize({ width: 375, height: 812 });
    const assertFits = async (where: string) => {
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      assert.ok(overflow <= 0, `${where}: the page is ${overflow} px wider than the phone`);
    };
    await nav('Memories').click();
    await card('The boiler').waitFor();
    await card('The gutters need clearing').waitFor();
    await assertFits('memories');
    assert.ok(await nav('Agent').isVisible());
    await shot('14-phone');
    await nav('Activity').click();
    await page.locator('.activity li', { hasText: longTag }).waitFor();
    await assertFits('activity');
    await nav('Jobs & backups').click();
    await page.locator('table.backups tbody tr').first().waitFor();
    await assertFits('jobs & backups');
    await shot('21-phone-jobs');
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(foreignRequests(), []);
  });

  it('shows a read-only key bound to a namespace who it is, no admin forms, and no endless “Loading…”', async () => {
    const created = await call(
      api.url,
      'POST',
      '/api/admin/keys',
      { name: 'guest reader', scopes: ['read'], namespace: 'guest' },
      AUTH,
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(created.body.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await nav('Overview').click();
    await page.locator('[data-stat="stat-health"]').waitFor();
    assert.equal(
      await page.locator('[data-stat="stat-health"] dd').innerText(),
      'Shown to keys not bound to a namespace',
      'readiness is not "Not ready" for a key the server does not tell',
    );
    assert.equal(await page.locator('[data-caller]').innerText(), 'signed in as guest reader · namespace guest');
    await page.locator('.charts').waitFor();
    assert.equal(await page.locator('[data-chart="requests"]').count(), 0, 'no server-wide figures for a bound key');
    for (const [panel, ready] of [
      ['Memories', '.empty'],
      ['Trash', '.empty'],
      ['Conflicts', '.empty'],
      ['Jobs & backups', '[data-admin-only]'],
      ['Agent', '.file-list'],
      ['Access', '[data-admin-only]'],
    ]) {
      await nav(panel).click();
      // The panel is on screen (the overview's charts have `.empty` blocks too), then it settles.
      await page.locator('nav a[aria-current="page"]', { hasText: panel }).waitFor();
      await page.locator(`main ${ready}`).first().waitFor();
      // Its last requests may still be in flight under load; what must not happen is a "Loading…" that stays.
      await page.waitForFunction("!document.body.innerText.includes('Loading…')", null, { timeout: 15_000 });
      await assertAccessible(page, `${panel} (read-only key)`);
    }
    assert.equal(await page.getByRole('button', { name: 'Back up now' }).count(), 0);
    await nav('Memories').click();
    assert.equal(await page.getByRole('button', { name: 'New memory' }).count(), 0);
    await nav('Jobs & backups').click();
    await shot('15-read-only-jobs');
  });

  it('never puts a key in a URL: the live stream sends it in a header', async () => {
    assert.ok(streams.length >= 2, 'the pages opened event streams');
    assert.ok(
      streams.every((headers) => headers['x-api-key']),
      'each stream request carried the key in a header',
    );
    assert.deepEqual(urlsWithKey(), []);
  });
});
